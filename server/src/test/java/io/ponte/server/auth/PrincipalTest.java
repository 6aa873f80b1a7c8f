package io.ponte.server.auth;

import static io.ponte.server.auth.TestTokens.CLOCK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Role;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrincipalTest {
  private static Principal with(Map<String, Role> rooms) {
    return new Principal("u-1", "Ana", 0, false, rooms);
  }

  @Test
  void exactGrantBeatsMatchingPrefix() {
    Principal p = with(Map.of("erasmus-*", Role.TEACHER, "erasmus-nl", Role.OBSERVER));
    assertEquals(Role.OBSERVER, p.roleFor("erasmus-nl"));
    assertEquals(Role.TEACHER, p.roleFor("erasmus-nl-2"));
  }

  @Test
  void longestPrefixWins() {
    Map<String, Role> rooms = new LinkedHashMap<>();
    rooms.put("*", Role.OBSERVER);
    rooms.put("erasmus-nl-pl-*", Role.TEACHER);
    rooms.put("erasmus-*", Role.STUDENT);
    Principal p = with(rooms);
    assertEquals(Role.TEACHER, p.roleFor("erasmus-nl-pl-7"));
    assertEquals(Role.TEACHER, p.roleFor("erasmus-nl-pl-")); // empty rest still matches
    assertEquals(Role.STUDENT, p.roleFor("erasmus-nl-de-1"));
    assertEquals(Role.OBSERVER, p.roleFor("maths-101")); // bare * matches every room
  }

  @Test
  void aPrefixMatchesOnlyAtASeparator() {
    Principal p = with(Map.of("r1*", Role.STUDENT));
    assertEquals(Role.STUDENT, p.roleFor("r1"));
    assertEquals(Role.STUDENT, p.roleFor("r1-a"));
    assertEquals(Role.STUDENT, p.roleFor("r1.b1")); // a breakout-style child
    assertEquals(Role.STUDENT, p.roleFor("r1_x"));
    assertNull(p.roleFor("r10"), "r1* must not cover r10");
    assertNull(p.roleFor("r1a"));
    assertNull(p.roleFor("r"));
    Principal course = with(Map.of("course-7-*", Role.TEACHER, "course-7.*", Role.OBSERVER));
    assertEquals(Role.TEACHER, course.roleFor("course-7-a"));
    assertEquals(Role.OBSERVER, course.roleFor("course-7.b"));
    assertNull(course.roleFor("course-70"));
    assertNull(course.roleFor("course-7"), "the trailing separator is part of the prefix");
  }

  @Test
  void noMatchingGrantIsRoomNotAllowed() throws Exception {
    Principal p = with(Map.of("erasmus-*", Role.STUDENT, "maths", Role.TEACHER));
    assertNull(p.roleFor("maths-2"));
    assertNull(p.roleFor("erasmus")); // the prefix needs its trailing '-'
    AuthException e =
        assertThrows(AuthException.class, () -> TokenVerifier.requireRole(p, "maths-2"));
    assertEquals(ErrorCode.ROOM_NOT_ALLOWED, e.code());
    assertEquals(Role.TEACHER, TokenVerifier.requireRole(p, "maths"));
  }

  @Test
  void teacherStudentAndObserverRolesFromToken() throws Exception {
    Map<String, Object> c = TestTokens.claims();
    c.put("rooms", Map.of("r-t", "teacher", "r-s", "student", "r-o", "observer"));
    Principal p = new TokenVerifier(TestTokens.hsKeys(), CLOCK).verify(TestTokens.hs256(c));
    assertEquals(Role.TEACHER, TokenVerifier.requireRole(p, "r-t"));
    assertEquals(Role.STUDENT, TokenVerifier.requireRole(p, "r-s"));
    assertEquals(Role.OBSERVER, TokenVerifier.requireRole(p, "r-o"));
    assertEquals(
        ErrorCode.ROOM_NOT_ALLOWED,
        assertThrows(AuthException.class, () -> TokenVerifier.requireRole(p, "r-x")).code());
  }

  @Test
  void constructorRejectsInvalidGrantsAndNames() {
    assertThrows(IllegalArgumentException.class, () -> with(Map.of("", Role.STUDENT)));
    assertThrows(IllegalArgumentException.class, () -> with(Map.of("a*b", Role.STUDENT)));
    assertThrows(IllegalArgumentException.class, () -> with(Map.of("r", Role.ROLE_UNSPECIFIED)));
    assertThrows(
        IllegalArgumentException.class, () -> new Principal("", "Ana", 0, false, Map.of()));
    assertThrows(
        IllegalArgumentException.class, () -> new Principal("u", " Ana", 0, false, Map.of()));
  }

  @Test
  void grantsAreImmutable() {
    Map<String, Role> rooms = new LinkedHashMap<>(Map.of("r", Role.STUDENT));
    Principal p = with(rooms);
    rooms.put("s", Role.TEACHER);
    assertNull(p.roleFor("s"));
    assertThrows(UnsupportedOperationException.class, () -> p.rooms().put("s", Role.TEACHER));
  }

  @Test
  void guestIsOffUnlessSetAndShowsInToStringWithoutTheName() {
    assertEquals(false, with(Map.of()).guest());
    Principal g = new Principal("u-2", "Bo", 0, false, Map.of("r1", Role.STUDENT), true);
    assertEquals(true, g.guest());
    assertEquals(Role.STUDENT, g.roleFor("r1"));
    assertEquals("Principal[userId=u-2, admin=false, guest=true, rooms=1]", g.toString());
  }
}
