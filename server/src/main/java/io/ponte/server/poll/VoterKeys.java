package io.ponte.server.poll;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Pseudonymous voters of anonymous polls. A voter key is HMAC-SHA256 of (poll id, user id) under
 * the poll's own random salt, cut to 128 bits: the same user gets the same key in one poll (so an
 * answer can be changed, and counted once), unrelated keys in different polls, and nobody can
 * turn a key back into a user without the salt. The salt is made by the node that submits the
 * poll's creation and travels in that operation, so every node computes the same keys.
 */
final class VoterKeys {
  /** The actor user id of an anonymous answer: this prefix and the voter key. */
  static final String ACTOR_PREFIX = "anon:";
  static final int SALT_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private VoterKeys() {}

  static byte[] newSalt() {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    return salt;
  }

  /** The voter key of a user in a poll. */
  static String key(byte[] salt, String pollId, String userId) {
    return mac(salt, "voter\0" + pollId + "\0" + userId);
  }

  /**
   * The client message id an anonymous answer is stored with: the client's own id could name its
   * user ("ana-3"), so it is replaced by a keyed hash of it, stable for retries.
   */
  static String messageId(byte[] salt, String voterKey, String clientMsgId) {
    return clientMsgId.isEmpty() ? "" : mac(salt, "msg\0" + voterKey + "\0" + clientMsgId);
  }

  private static String mac(byte[] salt, String input) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(salt, "HmacSHA256"));
      byte[] full = mac.doFinal(input.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(full, 16));
    } catch (GeneralSecurityException e) {
      // Every Java platform has HmacSHA256.
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
