package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.HandLower;
import io.ponte.protocol.v1.HandLowerAll;
import io.ponte.protocol.v1.HandLowered;
import io.ponte.protocol.v1.HandRaise;
import io.ponte.protocol.v1.HandRequest;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Leave;
import io.ponte.protocol.v1.RaisedHand;
import io.ponte.protocol.v1.RemoveParticipant;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand raising with real WebSocket clients: the queue's order for everyone, a late joiner, a
 * resume and a node restart; teachers lowering one or all; who may do what; a user who leaves
 * for good against a quick reconnect; two nodes through Redis.
 */
@Timeout(120)
class HandIT {
  @TempDir
  Path dir;

  // ---- requests -----------------------------------------------------------------------------

  static ClientMessage.Builder hand(String room, HandRequest.Builder r) {
    return ClientMessage.newBuilder().setHand(r.setRoomId(room));
  }

  static ClientMessage.Builder raise(String room) {
    return hand(room, HandRequest.newBuilder().setRaise(HandRaise.getDefaultInstance()));
  }

  static ClientMessage.Builder lower(String room, String userId) {
    return hand(room, HandRequest.newBuilder().setLower(HandLower.newBuilder().setUserId(userId)));
  }

  static ClientMessage.Builder lowerAll(String room) {
    return hand(room, HandRequest.newBuilder().setLowerAll(HandLowerAll.getDefaultInstance()));
  }

  static List<String> users(List<RaisedHand> hands) {
    return hands.stream().map(RaisedHand::getUserId).toList();
  }

  /** A client's queue kept as PROTOCOL.md says: from the snapshot, then every event in order. */
  static List<String> replay(List<String> queue, List<Event> events) {
    List<String> q = new ArrayList<>(queue);
    for (Event e : events) {
      if (e.hasHandRaised()) {
        q.add(e.getHandRaised().getHand().getUserId());
      } else if (e.hasHandLowered()) {
        if (e.getHandLowered().getAll()) {
          q.clear();
        } else {
          q.remove(e.getHandLowered().getUserId());
        }
      } else if (e.hasParticipantRemoved()) {
        q.remove(e.getParticipantRemoved().getUserId());
      }
    }
    return q;
  }

  static Event raisedBy(TestClient c, String userId) {
    return c.awaitEvent(e -> e.hasHandRaised() && e.getHandRaised().getHand().getUserId().equals(userId),
        userId + "'s raised hand");
  }

  static HandLowered loweredFor(TestClient c, String userId) {
    return c.awaitEvent(e -> e.hasHandLowered() && e.getHandLowered().getUserId().equals(userId),
        userId + "'s lowered hand").getHandLowered();
  }

  // ---- tests --------------------------------------------------------------------------------

  @Test
  void everyoneSeesTheQueueInRaiseOrderAndAResumeAndALateJoinerAgree() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient carl = s.user("carl", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        carl.join("r1");
        Joined boFirst;
        long boLast;
        try (TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
          boFirst = bo.join("r1");
          long a = TestClient.ack(ana.request(raise("r1"))).getSeq();
          long b = TestClient.ack(bo.request(raise("r1"))).getSeq();
          long c = TestClient.ack(carl.request(raise("r1"))).getSeq();
          assertTrue(a < b && b < c);
          for (TestClient viewer : List.of(tina, ana, bo, carl)) {
            assertEquals(a, raisedBy(viewer, "ana").getSeq());
            assertEquals(b, raisedBy(viewer, "bo").getSeq());
            Event last = raisedBy(viewer, "carl");
            assertEquals(c, last.getSeq());
            assertEquals("User carl", last.getHandRaised().getHand().getDisplayName());
            assertEquals(c, last.getHandRaised().getHand().getRaisedSeq());
          }
          boLast = c;
        } // bo's connection drops; his hand keeps its place
        TestClient.ack(ana.request(lower("r1", "")));
        TestClient.ack(ana.request(raise("r1")));
        List<String> expected = List.of("bo", "carl", "ana");

        try (TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
          Joined resumed = bo.join("r1", boLast, boFirst.getEpoch());
          assertFalse(resumed.getReset(), "a resume, not a reset");
          assertEquals(expected, replay(List.of("ana", "bo", "carl"), resumed.getMissedList()));
        }
        try (TestClient dora = s.user("dora", "r1", Role.OBSERVER)) {
          Joined late = dora.join("r1");
          assertEquals(expected, users(late.getSnapshot().getRaisedHandsList()));
        }
      }
    }
  }

  @Test
  void theQueueSurvivesANodeRestart() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      List<RaisedHand> before;
      Joined anaFirst;
      long anaLast;
      try (TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient bo = s.user("bo", "r1", Role.STUDENT);
          TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        anaFirst = ana.join("r1");
        bo.join("r1");
        tina.join("r1");
        TestClient.ack(bo.request(raise("r1")));
        TestClient.ack(tina.request(raise("r1")));
        anaLast = TestClient.ack(ana.request(raise("r1"))).getSeq();
        raisedBy(ana, "ana");
        try (TestClient obs = s.user("olga", "r1", Role.OBSERVER)) {
          before = obs.join("r1").getSnapshot().getRaisedHandsList();
        }
        assertEquals(List.of("bo", "tina", "ana"), users(before));
        s.stop();
      }
      s.start();
      try (TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient carl = s.user("carl", "r1", Role.STUDENT)) {
        Joined resumed = ana.join("r1", anaLast, anaFirst.getEpoch());
        List<String> anasQueue = resumed.getReset()
            ? users(resumed.getSnapshot().getRaisedHandsList())
            : replay(users(before), resumed.getMissedList());
        assertEquals(users(before), anasQueue);
        assertEquals(before, carl.join("r1").getSnapshot().getRaisedHandsList(), "same hands, seqs and times");
      }
    }
  }

  @Test
  void teachersLowerOneOrAllAndNobodyElseLowersSomeoneElsesHand() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient bo = s.user("bo", "r1", Role.STUDENT);
          TestClient olga = s.user("olga", "r1", Role.OBSERVER)) {
        tina.join("r1");
        ana.join("r1");
        bo.join("r1");
        olga.join("r1");
        TestClient.ack(ana.request(raise("r1")));
        TestClient.ack(bo.request(raise("r1")));
        assertEquals(ErrorCode.READ_ONLY, TestClient.error(olga.request(raise("r1"))).getCode());
        assertEquals(ErrorCode.HAND_ALREADY_RAISED, TestClient.error(ana.request(raise("r1"))).getCode());
        assertEquals(ErrorCode.PERMISSION_DENIED, TestClient.error(bo.request(lower("r1", "ana"))).getCode());
        assertEquals(ErrorCode.PERMISSION_DENIED, TestClient.error(bo.request(lowerAll("r1"))).getCode());
        assertEquals(ErrorCode.INVALID_REQUEST,
            TestClient.error(bo.request(hand("r1", HandRequest.newBuilder()))).getCode());

        long seq = TestClient.ack(tina.request(lower("r1", "bo"))).getSeq();
        HandLowered byTeacher = loweredFor(olga, "bo");
        assertEquals(HandLowered.Reason.LOWERED_BY_TEACHER, byTeacher.getReason());
        assertEquals(seq, bo.awaitEvent(Event::hasHandLowered, "bo sees it").getSeq());
        assertEquals(ErrorCode.HAND_NOT_RAISED, TestClient.error(tina.request(lower("r1", "bo"))).getCode());
        assertEquals(ErrorCode.HAND_NOT_RAISED, TestClient.error(bo.request(lower("r1", ""))).getCode());

        TestClient.ack(bo.request(raise("r1")));
        TestClient.ack(tina.request(lowerAll("r1")));
        Event all = ana.awaitEvent(e -> e.hasHandLowered() && e.getHandLowered().getAll(), "every hand down");
        assertEquals("tina", all.getActor().getUserId());
        Ack nothing = TestClient.ack(tina.request(lowerAll("r1")));
        assertTrue(nothing.getDuplicate(), "lowering no hand is not sequenced");

        // A removed student's hand goes with the removal, and a lifted ban does not bring it back.
        TestClient.ack(ana.request(raise("r1")));
        TestClient.ack(tina.request(ClientMessage.newBuilder().setTeacherAction(TeacherAction.newBuilder()
            .setRoomId("r1").setRemove(RemoveParticipant.newBuilder().setUserId("ana")))));
        try (TestClient late = s.user("carl", "r1", Role.STUDENT)) {
          assertEquals(List.of(), late.join("r1").getSnapshot().getRaisedHandsList());
        }
      }
    }
  }

  @Test
  void aUserWhoLeavesForGoodLosesTheirHandWhileAQuickReconnectKeepsIt() {
    try (TestServer s = new TestServer(dir, b -> b.set("hand-leave-grace-ms", "1500"))) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        tina.join("r1");
        TestClient bo = s.user("bo", "r1", Role.STUDENT);
        bo.join("r1");
        TestClient.ack(bo.request(raise("r1")));
        TestClient ana = s.user("ana", "r1", Role.STUDENT);
        Joined anaFirst = ana.join("r1");
        long anaSeq = TestClient.ack(ana.request(raise("r1"))).getSeq();
        raisedBy(tina, "ana");

        ana.close(); // a drop ...
        ana = s.user("ana", "r1", Role.STUDENT);
        assertFalse(ana.join("r1", anaSeq, anaFirst.getEpoch()).getReset()); // ... and a resume at once
        bo.request(ClientMessage.newBuilder().setLeave(Leave.newBuilder().setRoomId("r1")));
        bo.close(); // bo leaves for good

        Event left = tina.awaitEvent(e -> e.hasHandLowered() && e.getHandLowered().getUserId().equals("bo"),
            "bo's hand lowered after the grace period");
        assertEquals(HandLowered.Reason.USER_LEFT, left.getHandLowered().getReason());
        assertFalse(tina.receives(m -> m.hasEvent() && m.getEvent().hasHandLowered()
            && m.getEvent().getHandLowered().getUserId().equals("ana"), Duration.ofMillis(2500)),
            "ana came back in time: her hand stays");
        try (TestClient late = s.user("carl", "r1", Role.STUDENT)) {
          assertEquals(List.of("ana"), users(late.join("r1").getSnapshot().getRaisedHandsList()));
        }
        ana.close();
      }
    }
  }

  @Test
  void twoNodesThroughRedisShareOneQueue() {
    String prefix = RedisFixture.newPrefix();
    UnaryOperator<PonteConfig.Builder> redis = b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix);
    try (TestServer a = new TestServer(dir.resolve("a"), b -> redis.apply(b).nodeId("a"));
        TestServer b = new TestServer(dir.resolve("b"), c -> redis.apply(c).nodeId("b"))) {
      a.createRoom("r1");
      b.createRoom("r1");
      try (TestClient tina = a.user("tina", "r1", Role.TEACHER);
          TestClient ana = b.user("ana", "r1", Role.STUDENT);
          TestClient bo = a.user("bo", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        bo.join("r1");
        long first = TestClient.ack(ana.request(raise("r1"))).getSeq();
        long second = TestClient.ack(bo.request(raise("r1"))).getSeq();
        assertEquals(first, raisedBy(tina, "ana").getSeq(), "node b's raise on node a");
        assertEquals(second, raisedBy(ana, "bo").getSeq(), "node a's raise on node b");
        try (TestClient carl = b.user("carl", "r1", Role.STUDENT)) {
          assertEquals(List.of("ana", "bo"), users(carl.join("r1").getSnapshot().getRaisedHandsList()));
          TestClient.ack(tina.request(lower("r1", "ana")));
          assertEquals(HandLowered.Reason.LOWERED_BY_TEACHER, loweredFor(carl, "ana").getReason());
        }
      }
    }
  }
}
