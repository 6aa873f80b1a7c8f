package io.ponte.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ponte.protocol.v1.Role;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DisplayNamesTest {

  @Test
  void firstKeepsTheFirstWord() {
    assertEquals("Anna", DisplayNames.FIRST.apply("Anna van der Berg"));
    assertEquals("Anna-Lena", DisplayNames.FIRST.apply("Anna-Lena Schmidt"));
    assertEquals("Zoë", DisplayNames.FIRST.apply("Zoë\u00a0Martin"), "a no-break space is a space");
    assertEquals("Όλγα", DisplayNames.FIRST.apply("Όλγα Παπαδοπούλου"));
    assertEquals("Ana", DisplayNames.FIRST.apply("Ana"));
  }

  @Test
  void aCommaMeansFamilyThenGiven() {
    assertEquals("Anna", DisplayNames.FIRST.apply("van der Berg, Anna Maria"));
    assertEquals("Berg", DisplayNames.FIRST.apply("Berg,"), "nothing after the comma");
    assertEquals(",", DisplayNames.FIRST.apply(","), "nothing better to show");
  }

  @Test
  void aNameWithoutSpacesIsKeptWhole() {
    assertEquals("山田太郎", DisplayNames.FIRST.apply("山田太郎"));
    assertEquals("王", DisplayNames.FIRST.apply("王\u3000小明"), "an ideographic space is a space");
  }

  @Test
  void fullKeepsTheName() {
    assertEquals("Anna van der Berg", DisplayNames.FULL.apply("Anna van der Berg"));
  }

  @Test
  void theVerifierHandsOutOnlyTheKeptPart() throws Exception {
    AuthKeys keys = TestTokens.hsKeys();
    String token = new TokenIssuer(keys).mint("u-1", "  Anna van der Berg ",
        Map.of("r1", Role.STUDENT), Duration.ofMinutes(5), false);
    assertEquals("Anna van der Berg", new TokenVerifier(keys).verify(token).displayName());
    assertEquals("Anna", new TokenVerifier(keys.withDisplayNames(DisplayNames.FIRST))
        .verify(token).displayName());
  }
}
