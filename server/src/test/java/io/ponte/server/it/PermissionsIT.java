package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.BoardBox;
import io.ponte.protocol.v1.BoardCreate;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardInk;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.CapabilityGrant;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ChatReact;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.ElementsAdd;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Grant;
import io.ponte.protocol.v1.HandLower;
import io.ponte.protocol.v1.HandRaise;
import io.ponte.protocol.v1.HandRequest;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.LaserPointer;
import io.ponte.protocol.v1.PermissionsRequest;
import io.ponte.protocol.v1.PermissionsView;
import io.ponte.protocol.v1.PollAnswer;
import io.ponte.protocol.v1.PollCreate;
import io.ponte.protocol.v1.PollOpen;
import io.ponte.protocol.v1.PollRequest;
import io.ponte.protocol.v1.PresenceChanged;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.doc.YTextUpdates;
import io.ponte.server.redis.RedisFixture;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Permissions per capability with real WebSocket clients: each capability denied for the room and
 * for one participant, allowed back, an override beating the default, teachers unaffected; the
 * effective permissions in the snapshot, after a resume and a restart; two nodes through Redis;
 * bad requests with bystanders still served; a document edit over /yjs and /hocuspocus without
 * the edit capability refused the way a read-only document's is.
 */
@Timeout(180)
class PermissionsIT {
  /** Generous per-connection budgets: the tests do many hand and poll operations in a row. */
  private static final UnaryOperator<PonteConfig.Builder> BUDGETS = b -> b.set("hand-ops-per-second", "200")
      .set("poll-ops-per-second", "200");

  @TempDir
  Path dir;

  private final AtomicInteger unique = new AtomicInteger();

  // ---- requests -----------------------------------------------------------------------------

  static CapabilityGrant grant(Capability c, Grant g) {
    return CapabilityGrant.newBuilder().setCapability(c).setGrant(g).build();
  }

  static ServerMessage permissions(TestClient c, String room, String user, CapabilityGrant... grants) {
    return c.request(ClientMessage.newBuilder().setPermissions(PermissionsRequest.newBuilder()
        .setRoomId(room).setUserId(user).addAllGrants(List.of(grants))));
  }

  static Ack roomDefault(TestClient teacher, String room, Capability c, boolean allowed) {
    return TestClient.ack(permissions(teacher, room, "", grant(c, allowed ? Grant.GRANT_ALLOW : Grant.GRANT_DENY)));
  }

  static Ack override(TestClient teacher, String room, String user, Capability c, Grant g) {
    return TestClient.ack(permissions(teacher, room, user, grant(c, g)));
  }

  /** The room the capability tests use: a message, a board, a document, an open poll. */
  static long classroom(TestClient teacher, String room) {
    long welcome = teacher.post(room, "welcome").getSeq();
    TestClient.ack(teacher.request(ClientMessage.newBuilder().setBoard(BoardRequest.newBuilder().setRoomId(room)
        .setBoardId("b1").setCreateBoard(BoardCreate.newBuilder().setTitle("Board").setFirstPageId("p1")))));
    TestClient.ack(teacher.request(ClientMessage.newBuilder().setDocCreate(DocCreate.newBuilder()
        .setRoomId(room).setDocId("report").setTitle("Report"))));
    TestClient.ack(teacher.request(poll(room, PollRequest.newBuilder().setCreate(PollCreate.newBuilder()
        .setQuestion("Ready?").addOptions("yes").addOptions("no")))));
    TestClient.ack(teacher.request(poll(room, PollRequest.newBuilder().setOpen(PollOpen.getDefaultInstance()))));
    return welcome;
  }

  static ClientMessage.Builder poll(String room, PollRequest.Builder r) {
    return ClientMessage.newBuilder().setPoll(r.setRoomId(room).setPollId("q"));
  }

  static ClientMessage.Builder hand(String room, HandRequest.Builder r) {
    return ClientMessage.newBuilder().setHand(r.setRoomId(room));
  }

  /** The request that needs the capability (each a new one). */
  private ClientMessage.Builder action(Capability c, String room, long messageSeq) {
    int n = unique.incrementAndGet();
    return switch (c) {
      case CAPABILITY_CHAT -> ClientMessage.newBuilder().setChatPost(ChatPost.newBuilder().setRoomId(room)
          .setText("hello " + n));
      case CAPABILITY_PRIVATE_TO_TEACHERS -> ClientMessage.newBuilder().setChatPost(ChatPost.newBuilder()
          .setRoomId(room).setText("a question " + n).setToTeachers(true));
      case CAPABILITY_REACTIONS -> ClientMessage.newBuilder().setChatReact(ChatReact.newBuilder().setRoomId(room)
          .setMessageSeq(messageSeq).setReaction("r" + n).setAdd(true));
      case CAPABILITY_WHITEBOARD -> ClientMessage.newBuilder().setBoard(BoardRequest.newBuilder().setRoomId(room)
          .setBoardId("b1").setAddElements(ElementsAdd.newBuilder().setPageId("p1").addElements(BoardElement
              .newBuilder().setElementId("e" + n).setZ("a0")
              .setRectangle(BoardBox.newBuilder().setWidth(5).setHeight(5)))));
      case CAPABILITY_DOCUMENT_CREATE -> ClientMessage.newBuilder().setDocCreate(DocCreate.newBuilder()
          .setRoomId(room).setDocId("doc" + n).setTitle("Doc " + n));
      case CAPABILITY_DOCUMENT_EDIT -> ClientMessage.newBuilder().setDocUpdate(DocUpdate.newBuilder()
          .setRoomId(room).setDocId("report")
          .setUpdate(ByteString.copyFrom(new YTextUpdates(5000 + n, "t").append("x" + n))));
      case CAPABILITY_POLL_ANSWER -> poll(room, PollRequest.newBuilder()
          .setAnswer(PollAnswer.newBuilder().addChoices(n % 2)));
      case CAPABILITY_HAND_RAISE -> hand(room, HandRequest.newBuilder().setRaise(HandRaise.getDefaultInstance()));
      default -> throw new IllegalArgumentException(c.toString());
    };
  }

  private void works(TestClient c, Capability cap, String room, long messageSeq) {
    ServerMessage m = c.request(action(cap, room, messageSeq));
    assertTrue(m.hasAck(), () -> cap + " should work: " + m);
    if (cap == Capability.CAPABILITY_HAND_RAISE) {
      TestClient.ack(c.request(hand(room, HandRequest.newBuilder().setLower(HandLower.getDefaultInstance()))));
    }
  }

  private void denied(TestClient c, Capability cap, String room, long messageSeq) {
    ErrorInfo e = TestClient.error(c.request(action(cap, room, messageSeq)));
    assertEquals(ErrorCode.CAPABILITY_DENIED, e.getCode(), () -> cap + ": " + e);
    assertEquals(room, e.getRoomId());
  }

  static ClientMessage.Builder laser(String room) {
    return ClientMessage.newBuilder().setBoardInk(BoardInk.newBuilder().setRoomId(room).setBoardId("b1")
        .setPageId("p1").setLaser(LaserPointer.newBuilder().setX(10).setY(20)));
  }

  static List<Capability> effective(Joined joined) {
    return joined.getSnapshot().getPermissions().getEffectiveList();
  }

  // ---- tests --------------------------------------------------------------------------------

  @Test
  void eachCapabilityDeniedForTheRoomOrOneParticipantIsRefusedWhileOthersKeepWorking() {
    try (TestServer s = new TestServer(dir, BUDGETS)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        bo.join("r1");
        long msg = classroom(tina, "r1");
        for (Capability c : List.of(Capability.values())) {
          if (c == Capability.CAPABILITY_UNSPECIFIED || c == Capability.UNRECOGNIZED) {
            continue;
          }
          // Denied for the room's students: both refused, teachers not.
          roomDefault(tina, "r1", c, false);
          denied(ana, c, "r1", msg);
          denied(bo, c, "r1", msg);
          if (c != Capability.CAPABILITY_POLL_ANSWER) { // teachers never answer polls
            works(tina, c, "r1", msg);
          }
          // An override beats the room's default.
          override(tina, "r1", "ana", c, Grant.GRANT_ALLOW);
          works(ana, c, "r1", msg);
          denied(bo, c, "r1", msg);
          override(tina, "r1", "ana", c, Grant.GRANT_INHERIT);
          denied(ana, c, "r1", msg);
          // Allowed for the room, denied for one participant: the other keeps working.
          roomDefault(tina, "r1", c, true);
          override(tina, "r1", "bo", c, Grant.GRANT_DENY);
          denied(bo, c, "r1", msg);
          works(ana, c, "r1", msg);
          // Allowed back.
          override(tina, "r1", "bo", c, Grant.GRANT_INHERIT);
          works(bo, c, "r1", msg);
        }
        // Live ink needs the whiteboard capability too.
        override(tina, "r1", "bo", Capability.CAPABILITY_WHITEBOARD, Grant.GRANT_DENY);
        assertEquals(ErrorCode.CAPABILITY_DENIED, TestClient.error(bo.request(laser("r1"))).getCode());
        ana.send(laser("r1").setRequestId(ana.nextRequestId()).build());
        Event ink = tina.awaitEvent(e -> e.hasBoardInk() && e.getBoardInk().getUserId().equals("ana"),
            "ana's laser");
        assertEquals(20, ink.getBoardInk().getLaser().getY());
        assertFalse(tina.receives(m -> m.hasEvent() && m.getEvent().hasBoardInk()
            && m.getEvent().getBoardInk().getUserId().equals("bo"), Duration.ofMillis(300)));
      }
    }
  }

  @Test
  void aRoomCreatedWithTheNewDefaultsStartsWithThemAndTheOldOnesKeepTheirMeaning() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom(new JsonObject().put("id", "r1").put("title", "Room").put("studentPermissions",
          new JsonObject().put("chat", true).put("whiteboard", true).put("handRaise", false).put("reactions", false)));
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT)) {
        tina.join("r1");
        Joined j = ana.join("r1");
        assertEquals(List.of(Capability.CAPABILITY_CHAT, Capability.CAPABILITY_PRIVATE_TO_TEACHERS,
            Capability.CAPABILITY_WHITEBOARD, Capability.CAPABILITY_DOCUMENT_EDIT,
            Capability.CAPABILITY_POLL_ANSWER), effective(j));
        long msg = tina.post("r1", "welcome").getSeq();
        denied(ana, Capability.CAPABILITY_HAND_RAISE, "r1", msg);
        denied(ana, Capability.CAPABILITY_REACTIONS, "r1", msg);
        denied(ana, Capability.CAPABILITY_DOCUMENT_CREATE, "r1", msg);
        works(ana, Capability.CAPABILITY_CHAT, "r1", msg);
        works(ana, Capability.CAPABILITY_PRIVATE_TO_TEACHERS, "r1", msg);
      }
    }
  }

  /** Mute and the student chat switch keep their codes, over whatever the capability says. */
  @Test
  void muteAndTheStudentChatSwitchStillWorkOnTopOfTheCapabilities() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        override(tina, "r1", "ana", Capability.CAPABILITY_CHAT, Grant.GRANT_ALLOW);
        TestClient.ack(ModerationIT.mute(tina, "r1", "ana", true));
        assertEquals(ErrorCode.MUTED, ModerationIT.postError(ana, "r1", "muted"));
        TestClient.ack(ModerationIT.mute(tina, "r1", "ana", false));
        TestClient.ack(ModerationIT.action(tina, "r1", a -> a.setStudentChat(
            io.ponte.protocol.v1.SetStudentChat.newBuilder().setEnabled(false))));
        assertEquals(ErrorCode.CHAT_DISABLED, ModerationIT.postError(ana, "r1", "off"));
        TestClient.ack(ModerationIT.action(tina, "r1", a -> a.setStudentChat(
            io.ponte.protocol.v1.SetStudentChat.newBuilder().setEnabled(true))));
        ana.post("r1", "back");
      }
    }
  }

  @Test
  void theEffectivePermissionsAreInTheSnapshotAndSurviveAResumeAndARestart() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      Joined anaFirst;
      long anaLast;
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient bo = s.user("bo", "r1", Role.STUDENT);
          TestClient anaTab = s.user("ana", "r1", Role.STUDENT)) {
        tina.join("r1");
        bo.join("r1");
        anaTab.join("r1"); // her second tab keeps her in the room while the first is away
        try (TestClient ana = s.user("ana", "r1", Role.STUDENT)) {
          anaFirst = ana.join("r1");
          assertTrue(effective(anaFirst).contains(Capability.CAPABILITY_HAND_RAISE));
          anaLast = ana.post("r1", "before").getSeq();
        }
        long own = override(tina, "r1", "ana", Capability.CAPABILITY_HAND_RAISE, Grant.GRANT_DENY).getSeq();
        long room = roomDefault(tina, "r1", Capability.CAPABILITY_REACTIONS, false).getSeq();
        // Another student gets ana's override as skipped, the room's change in full.
        assertTrue(bo.awaitEvent(e -> e.getSeq() == own, "ana's override's seq").hasSkipped());
        Event roomWide = bo.awaitEvent(e -> e.getSeq() == room, "the room's change");
        assertEquals("", roomWide.getPermissionsChanged().getUserId());
        assertTrue(roomWide.getPermissionsChanged().getStudentDefaultsList().contains(
            grant(Capability.CAPABILITY_REACTIONS, Grant.GRANT_DENY)));

        try (TestClient ana = s.user("ana", "r1", Role.STUDENT)) {
          Joined resumed = ana.join("r1", anaLast, anaFirst.getEpoch());
          assertFalse(resumed.getReset(), "a resume, not a reset");
          Event mine = resumed.getMissedList().stream().filter(e -> e.getSeq() == own).findFirst().orElseThrow();
          assertEquals("ana", mine.getPermissionsChanged().getUserId());
          assertEquals(List.of(grant(Capability.CAPABILITY_HAND_RAISE, Grant.GRANT_DENY)),
              mine.getPermissionsChanged().getOverride().getGrantsList());
          assertEquals(ErrorCode.CAPABILITY_DENIED,
              TestClient.error(ana.request(hand("r1", HandRequest.newBuilder().setRaise(HandRaise.getDefaultInstance()))))
                  .getCode());
        }
        PermissionsView teacherView;
        try (TestClient theo = s.user("theo", "r1", Role.TEACHER)) {
          teacherView = theo.join("r1").getSnapshot().getPermissions();
        }
        assertEquals(List.of("ana"), teacherView.getOverridesList().stream().map(o -> o.getUserId()).toList());
        s.stop();
      }
      s.start();
      try (TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient carl = s.user("carl", "r1", Role.STUDENT);
          TestClient olga = s.user("olga", "r1", Role.OBSERVER);
          TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        Joined a = ana.join("r1");
        assertFalse(effective(a).contains(Capability.CAPABILITY_HAND_RAISE), "ana's override after a restart");
        assertFalse(effective(a).contains(Capability.CAPABILITY_REACTIONS), "the room's default after a restart");
        assertTrue(effective(a).contains(Capability.CAPABILITY_CHAT));
        assertEquals(1, a.getSnapshot().getPermissions().getOverridesCount());
        Joined c = carl.join("r1");
        assertTrue(effective(c).contains(Capability.CAPABILITY_HAND_RAISE));
        assertEquals(0, c.getSnapshot().getPermissions().getOverridesCount(), "nobody else's overrides");
        assertFalse(c.getSnapshot().getSettings().getStudentPermissions().getReactions());
        assertEquals(List.of(), effective(olga.join("r1")));
        Joined t = tina.join("r1");
        assertEquals(8, effective(t).size());
        assertEquals(1, t.getSnapshot().getPermissions().getOverridesCount());
        assertEquals(ErrorCode.CAPABILITY_DENIED,
            TestClient.error(ana.request(hand("r1", HandRequest.newBuilder().setRaise(HandRaise.getDefaultInstance()))))
                .getCode());
        TestClient.ack(carl.request(hand("r1", HandRequest.newBuilder().setRaise(HandRaise.getDefaultInstance()))));
      }
    }
  }

  @Test
  void twoNodesThroughRedisApplyTheSamePermissions() {
    String prefix = RedisFixture.newPrefix();
    UnaryOperator<PonteConfig.Builder> redis = b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix);
    try (TestServer a = new TestServer(dir.resolve("a"), b -> redis.apply(b).nodeId("a"));
        TestServer b = new TestServer(dir.resolve("b"), c -> redis.apply(c).nodeId("b"))) {
      a.createRoom("r1");
      b.createRoom("r1");
      try (TestClient tina = a.user("tina", "r1", Role.TEACHER);
          TestClient ana = b.user("ana", "r1", Role.STUDENT);
          TestClient bo = b.user("bo", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        bo.join("r1");
        tina.awaitEvent(e -> e.hasPresence() && e.getPresence().getKind() == PresenceChanged.Kind.JOINED
            && e.getPresence().getParticipant().getUserId().equals("ana"), "ana on node b, seen on node a");
        long seq = override(tina, "r1", "ana", Capability.CAPABILITY_CHAT, Grant.GRANT_DENY).getSeq();
        assertEquals("ana", ana.awaitEvent(e -> e.getSeq() == seq, "the override on node b")
            .getPermissionsChanged().getUserId());
        assertEquals(ErrorCode.CAPABILITY_DENIED, ModerationIT.postError(ana, "r1", "from node b"));
        long ok = bo.post("r1", "bo on node b still chats").getSeq();
        tina.awaitEvent(e -> e.getSeq() == ok && e.hasChatPosted(), "bo's post on node a");
        long roomSeq = roomDefault(tina, "r1", Capability.CAPABILITY_WHITEBOARD, false).getSeq();
        bo.awaitEvent(e -> e.getSeq() == roomSeq, "the room's change on node b");
        try (TestClient carl = b.user("carl", "r1", Role.STUDENT)) {
          Joined j = carl.join("r1");
          assertFalse(effective(j).contains(Capability.CAPABILITY_WHITEBOARD));
          assertTrue(effective(j).contains(Capability.CAPABILITY_CHAT));
        }
        try (TestClient ana2 = a.user("ana", "r1", Role.STUDENT)) {
          Joined j = ana2.join("r1");
          assertFalse(effective(j).contains(Capability.CAPABILITY_CHAT), "ana's override on node a too");
          assertEquals(ErrorCode.CAPABILITY_DENIED, ModerationIT.postError(ana2, "r1", "from node a"));
        }
      }
    }
  }

  @Test
  void badRequestsGetTheirCodeAndTheRoomAndBystandersKeepWorking() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "elsewhere")) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient olga = s.user("olga", "r1", Role.OBSERVER)) {
        tina.join("r1");
        ana.join("r1");
        olga.join("r1");
        CapabilityGrant denyChat = grant(Capability.CAPABILITY_CHAT, Grant.GRANT_DENY);
        assertEquals(ErrorCode.CAPABILITY_UNKNOWN, TestClient.error(permissions(tina, "r1", "ana",
            CapabilityGrant.newBuilder().setCapabilityValue(99).setGrant(Grant.GRANT_DENY).build())).getCode());
        assertEquals(ErrorCode.CAPABILITY_UNKNOWN, TestClient.error(permissions(tina, "r1", "ana",
            grant(Capability.CAPABILITY_UNSPECIFIED, Grant.GRANT_DENY))).getCode());
        assertEquals(ErrorCode.PERMISSION_DENIED, TestClient.error(permissions(ana, "r1", "", denyChat)).getCode());
        assertEquals(ErrorCode.PERMISSION_DENIED, TestClient.error(permissions(ana, "r1", "ana",
            grant(Capability.CAPABILITY_WHITEBOARD, Grant.GRANT_ALLOW))).getCode());
        assertEquals(ErrorCode.PERMISSION_DENIED, TestClient.error(permissions(olga, "r1", "ana", denyChat)).getCode());
        assertEquals(ErrorCode.PARTICIPANT_UNKNOWN,
            TestClient.error(permissions(tina, "r1", "nobody-here", denyChat)).getCode());
        assertEquals(ErrorCode.INVALID_REQUEST, TestClient.error(permissions(tina, "r1", "ana")).getCode());
        assertEquals(ErrorCode.INVALID_REQUEST, TestClient.error(permissions(tina, "r1", "ana", denyChat, denyChat))
            .getCode());
        assertEquals(ErrorCode.INVALID_REQUEST, TestClient.error(permissions(tina, "r1", "",
            grant(Capability.CAPABILITY_CHAT, Grant.GRANT_INHERIT))).getCode());
        assertEquals(ErrorCode.INVALID_REQUEST, TestClient.error(permissions(tina, "r1", "bad\nid", denyChat))
            .getCode());
        assertEquals(ErrorCode.NOT_IN_ROOM, TestClient.error(permissions(tina, "elsewhere", "", denyChat)).getCode());
        // A capability name this server does not know, over JSON: the parser leaves it unset.
        try (TestClient theo = s.user("theo", "r1", Role.TEACHER, WireFormat.JSON)) {
          theo.join("r1");
          theo.sendText("{\"requestId\":\"900\",\"permissions\":{\"roomId\":\"r1\",\"userId\":\"ana\","
              + "\"grants\":[{\"capability\":\"CAPABILITY_TELEPATHY\",\"grant\":\"GRANT_DENY\"}]}}");
          assertEquals(ErrorCode.CAPABILITY_UNKNOWN, TestClient.error(theo.answer(900)).getCode());
          theo.assertOpen();
        }
        others.assertServed();
        // Nothing was changed: ana still chats, and an override of a participant who left can be lifted.
        ana.post("r1", "still chatting");
        override(tina, "r1", "ana", Capability.CAPABILITY_CHAT, Grant.GRANT_DENY);
        ana.close();
        tina.awaitEvent(e -> e.hasPresence() && e.getPresence().getKind() == PresenceChanged.Kind.LEFT
            && e.getPresence().getParticipant().getUserId().equals("ana"), "ana gone");
        override(tina, "r1", "ana", Capability.CAPABILITY_CHAT, Grant.GRANT_INHERIT);
        assertEquals(ErrorCode.PARTICIPANT_UNKNOWN, TestClient.error(permissions(tina, "r1", "ana", denyChat))
            .getCode(), "gone, and no override left");
        others.assertServed();
      }
    }
  }

  /** Without the edit capability a /yjs or /hocuspocus client gets the document read-only. */
  @Test
  void aDocumentEditWithoutTheEditCapabilityIsRefusedOnYjsAndHocuspocusAsReadOnlyIs() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      NodeClients.scenario("write", YWebsocketIT.params(s, "r1", "report").put("text", "base "));
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        tina.join("r1");
        bo.join("r1"); // in the room, so a teacher can pick him
        override(tina, "r1", "bo", Capability.CAPABILITY_DOCUMENT_EDIT, Grant.GRANT_DENY);
        // "ro" is bo; "a" (ana) keeps editing.
        JsonObject p = YWebsocketIT.params(s, "r1", "report");
        p.getJsonObject("tokens").put("ro", p.getJsonObject("tokens").getString("b"));
        JsonObject r = NodeClients.scenario("readonly", p);
        assertFalse(r.getString("after").contains("SHOULD-NOT"), r.encode());
        assertEquals(r.getString("before") + " marker", r.getString("after"));
        assertTrue(r.getJsonArray("denied").encode().contains("CAPABILITY_DENIED"), r.encode());

        JsonObject hp = HocuspocusIT.params(s, "r1", "report");
        hp.getJsonObject("tokens").put("ro", hp.getJsonObject("tokens").getString("b"));
        JsonObject h = HocuspocusIT.hp("readonly", hp);
        assertEquals("readonly", h.getString("scope"), h.encode());
        assertFalse(h.getString("after").contains("SHOULD-NOT"), h.encode());

        // Allowed back: bo's provider writes again.
        override(tina, "r1", "bo", Capability.CAPABILITY_DOCUMENT_EDIT, Grant.GRANT_INHERIT);
        JsonObject w = YWebsocketIT.params(s, "r1", "report").put("text", "bo again ");
        w.getJsonObject("tokens").put("a", w.getJsonObject("tokens").getString("b"));
        NodeClients.scenario("write", w);
        assertTrue(NodeClients.scenario("read", YWebsocketIT.params(s, "r1", "report")).getString("text")
            .contains("bo again"));
      }
    }
  }
}
