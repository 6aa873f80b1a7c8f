package io.ponte.server.erasure;

/** What an erasure of one learner does with the board elements they authored. */
public enum BoardElementsOnErasure {
  /** Taken off the boards (and out of the boards' revert history). */
  REMOVE,
  /** Kept, their author renamed to the learner's pseudonym. */
  ANONYMISE
}
