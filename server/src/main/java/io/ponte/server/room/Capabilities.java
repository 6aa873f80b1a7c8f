package io.ponte.server.room;

import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.Permissions;
import io.ponte.protocol.v1.Role;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/**
 * The capabilities of the permissions per capability and the room's defaults for students
 * ({@code RoomSettings.student_permissions}), in one place: which field of {@link Permissions}
 * holds which capability, and what an unset field means (what a room made before that field
 * allowed, so old rooms keep behaving as they did).
 */
public final class Capabilities {
  /** Every capability, in capability (number) order. */
  public static final List<Capability> ALL = List.copyOf(EnumSet.complementOf(
      EnumSet.of(Capability.CAPABILITY_UNSPECIFIED, Capability.UNRECOGNIZED)));

  private Capabilities() {}

  /** Whether the server knows the capability (neither unset nor a number it does not know). */
  public static boolean known(Capability c) {
    return c != null && c != Capability.CAPABILITY_UNSPECIFIED && c != Capability.UNRECOGNIZED;
  }

  /**
   * The rule: teachers have every capability, observers none, a student their override (null:
   * none) or else the room's default.
   */
  public static boolean allowed(Role role, Boolean override, Permissions defaults, Capability c) {
    return switch (role) {
      case TEACHER -> true;
      case STUDENT -> override != null ? override : studentDefault(defaults, c);
      default -> false;
    };
  }

  /** Whether the room's defaults allow students the capability. */
  public static boolean studentDefault(Permissions p, Capability c) {
    return switch (c) {
      case CAPABILITY_CHAT -> p.getChat();
      case CAPABILITY_PRIVATE_TO_TEACHERS -> p.hasPrivateToTeachers() ? p.getPrivateToTeachers() : p.getChat();
      case CAPABILITY_REACTIONS -> p.hasReactions() ? p.getReactions() : p.getChat();
      case CAPABILITY_WHITEBOARD -> p.getWhiteboard();
      case CAPABILITY_DOCUMENT_CREATE -> p.getDocuments();
      case CAPABILITY_DOCUMENT_EDIT -> !p.hasDocumentEdit() || p.getDocumentEdit();
      case CAPABILITY_POLL_ANSWER -> !p.hasPollAnswer() || p.getPollAnswer();
      case CAPABILITY_HAND_RAISE -> !p.hasHandRaise() || p.getHandRaise();
      default -> false;
    };
  }

  /**
   * The defaults with one capability set explicitly. The fields that follow another when unset
   * (reactions and private messages follow chat) are pinned first, so changing chat changes
   * only chat.
   */
  public static Permissions withDefault(Permissions p, Capability c, boolean allowed) {
    Permissions.Builder b = p.toBuilder();
    if (c == Capability.CAPABILITY_CHAT) {
      b.setReactions(studentDefault(p, Capability.CAPABILITY_REACTIONS))
          .setPrivateToTeachers(studentDefault(p, Capability.CAPABILITY_PRIVATE_TO_TEACHERS));
    }
    switch (c) {
      case CAPABILITY_CHAT -> b.setChat(allowed);
      case CAPABILITY_PRIVATE_TO_TEACHERS -> b.setPrivateToTeachers(allowed);
      case CAPABILITY_REACTIONS -> b.setReactions(allowed);
      case CAPABILITY_WHITEBOARD -> b.setWhiteboard(allowed);
      case CAPABILITY_DOCUMENT_CREATE -> b.setDocuments(allowed);
      case CAPABILITY_DOCUMENT_EDIT -> b.setDocumentEdit(allowed);
      case CAPABILITY_POLL_ANSWER -> b.setPollAnswer(allowed);
      case CAPABILITY_HAND_RAISE -> b.setHandRaise(allowed);
      default -> throw new IllegalArgumentException("not a capability: " + c);
    }
    return b.build();
  }

  /** A short lower-case name for messages: "chat", "document edit". */
  public static String label(Capability c) {
    return c.name().substring("CAPABILITY_".length()).toLowerCase(Locale.ROOT).replace('_', ' ');
  }
}
