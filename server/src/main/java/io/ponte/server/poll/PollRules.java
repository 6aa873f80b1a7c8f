package io.ponte.server.poll;

import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.PollCreate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The shape rules of polls and answers: pure functions of the request (and the poll), used as an
 * early filter on the connection and again when the operation is applied.
 */
final class PollRules {
  private PollRules() {}

  /** Null when the poll is acceptable, else why not. */
  static Refusal create(PollCreate c, PollLimits limits) {
    Refusal q = text(c.getQuestion(), limits.maxQuestionChars(), true, "question");
    if (q != null) {
      return q;
    }
    int n = c.getOptionsCount();
    if (n < 2) {
      return new Refusal(ErrorCode.POLL_INVALID, "a poll has at least 2 options");
    }
    if (n > limits.maxOptions()) {
      return new Refusal(ErrorCode.POLL_TOO_MANY_OPTIONS, "at most " + limits.maxOptions() + " options");
    }
    Set<String> seen = new HashSet<>();
    for (String option : c.getOptionsList()) {
      Refusal o = text(option, limits.maxOptionChars(), false, "option");
      if (o != null) {
        return o;
      }
      if (!seen.add(option.strip())) {
        return new Refusal(ErrorCode.POLL_INVALID, "two options are alike");
      }
    }
    Set<Integer> correct = new HashSet<>();
    for (int i : c.getCorrectOptionsList()) {
      if (i < 0 || i >= n || !correct.add(i)) {
        return new Refusal(ErrorCode.POLL_INVALID, "correct_options names an option twice or none");
      }
    }
    return null;
  }

  /** Null when the choices are acceptable for a poll of that many options. */
  static Refusal answer(List<Integer> choices, int options, boolean multipleChoice) {
    if (choices.isEmpty()) {
      return new Refusal(ErrorCode.POLL_CHOICE_INVALID, "an answer chooses at least one option");
    }
    Set<Integer> seen = new HashSet<>();
    for (int i : choices) {
      // uint32 indexes above 2^31 read as negative ints: out of range either way.
      if (i < 0 || i >= options || !seen.add(i)) {
        return new Refusal(ErrorCode.POLL_CHOICE_INVALID, "choices name an option twice or none");
      }
    }
    if (!multipleChoice && choices.size() > 1) {
      return new Refusal(ErrorCode.POLL_SINGLE_CHOICE, "this poll takes one choice");
    }
    return null;
  }

  private static Refusal text(String text, int maxChars, boolean newlines, String what) {
    if (text.isBlank()) {
      return new Refusal(ErrorCode.POLL_INVALID, "the " + what + " is empty");
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean allowed = newlines && (c == '\n' || c == '\t');
      if (Character.isISOControl(c) && !allowed) {
        return new Refusal(ErrorCode.POLL_INVALID, "the " + what + " has control characters");
      }
      if (Character.isHighSurrogate(c) && (i + 1 >= text.length()
          || !Character.isLowSurrogate(text.charAt(i + 1)))
          || Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(text.charAt(i - 1)))) {
        return new Refusal(ErrorCode.POLL_INVALID, "the " + what + " has an unpaired surrogate");
      }
    }
    int chars = text.codePointCount(0, text.length());
    if (chars > maxChars) {
      return new Refusal(ErrorCode.POLL_TEXT_TOO_LONG,
          "the " + what + " has " + chars + " characters, at most " + maxChars);
    }
    return null;
  }

  /** Why a request is refused. */
  record Refusal(ErrorCode code, String reason) {}
}
