package io.ponte.server.permission;

import io.ponte.server.room.AuditNote;
import static io.ponte.server.room.RoomStateTest.ANA;
import static io.ponte.server.room.RoomStateTest.BO;
import static io.ponte.server.room.RoomStateTest.OBS;
import static io.ponte.server.room.RoomStateTest.ROOM;
import static io.ponte.server.room.RoomStateTest.TEACHER;
import static io.ponte.server.room.RoomStateTest.accepted;
import static io.ponte.server.room.RoomStateTest.apply;
import static io.ponte.server.room.RoomStateTest.endSession;
import static io.ponte.server.room.RoomStateTest.mute;
import static io.ponte.server.room.RoomStateTest.post;
import static io.ponte.server.room.RoomStateTest.react;
import static io.ponte.server.room.RoomStateTest.rejected;
import static io.ponte.server.room.RoomStateTest.studentChat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.BoardBox;
import io.ponte.protocol.v1.BoardCreate;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.CapabilityGrant;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.ElementsAdd;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Grant;
import io.ponte.protocol.v1.HandLower;
import io.ponte.protocol.v1.HandOperation;
import io.ponte.protocol.v1.HandRaise;
import io.ponte.protocol.v1.HandRequest;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Permissions;
import io.ponte.protocol.v1.PermissionsChanged;
import io.ponte.protocol.v1.PermissionsRequest;
import io.ponte.protocol.v1.PermissionsView;
import io.ponte.protocol.v1.PollAnswer;
import io.ponte.protocol.v1.PollCreate;
import io.ponte.protocol.v1.PollOpen;
import io.ponte.protocol.v1.PollOperation;
import io.ponte.protocol.v1.PollRequest;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.server.chat.Chat;
import io.ponte.server.doc.DocumentSet;
import io.ponte.server.doc.Documents;
import io.ponte.server.doc.YTextUpdates;
import io.ponte.server.hand.Hands;
import io.ponte.server.moderation.Moderation;
import io.ponte.server.poll.PollLimits;
import io.ponte.server.poll.Polls;
import io.ponte.server.room.AppliedOperation;
import io.ponte.server.room.Capabilities;
import io.ponte.server.room.RoomFeatures;
import io.ponte.server.room.RoomState;
import io.ponte.server.whiteboard.BoardLimits;
import io.ponte.server.whiteboard.Whiteboard;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Permissions per capability in the room's state machine: the defaults (and what the fields a
 * room made before them left unset mean), participant overrides beating them, every feature's
 * check at apply time, teachers and observers, mute and the chat switch on top, the snapshot each
 * viewer gets, the record and a replay, and bad requests.
 */
@Timeout(30)
class PermissionsStateTest {
  private static final RoomFeatures FEATURES = new RoomFeatures(List.of(new Moderation(),
      new Chat(200, 10), new Documents(DocumentSet.Limits.DEFAULT, 8192), new Whiteboard(BoardLimits.DEFAULT),
      new Hands(0), new Polls(PollLimits.DEFAULT), new PermissionControls()));

  /** A room made before the permissions per capability: chat and whiteboard on, documents off. */
  private static final RoomSettings LEGACY = RoomSettings.newBuilder().setTitle("Room").setMaxParticipants(30)
      .setStudentPermissions(Permissions.newBuilder().setChat(true).setWhiteboard(true)).build();

  private final List<Operation> log = new ArrayList<>();
  private final AtomicInteger unique = new AtomicInteger();

  private RoomState fresh() {
    return RoomState.create(ROOM, LEGACY, FEATURES);
  }

  // ---- requests -----------------------------------------------------------------------------

  static CapabilityGrant grant(Capability c, Grant g) {
    return CapabilityGrant.newBuilder().setCapability(c).setGrant(g).build();
  }

  static Operation permissions(Actor a, String user, CapabilityGrant... grants) {
    return Operation.newBuilder().setActor(a).setOriginNode("n1").setPermissions(PermissionsRequest.newBuilder()
        .setRoomId(ROOM).setUserId(user).addAllGrants(List.of(grants))).build();
  }

  static Operation defaults(Capability c, boolean allowed) {
    return permissions(TEACHER, "", grant(c, allowed ? Grant.GRANT_ALLOW : Grant.GRANT_DENY));
  }

  static Operation override(String user, Capability c, Grant g) {
    return permissions(TEACHER, user, grant(c, g));
  }

  private AppliedOperation ok(RoomState s, Operation op) {
    log.add(op);
    return accepted(s, op);
  }

  private static Set<Capability> effective(RoomState s, String viewer, Role role) {
    Set<Capability> out = EnumSet.noneOf(Capability.class);
    out.addAll(s.snapshotFor(viewer, role).getPermissions().getEffectiveList());
    return out;
  }

  /** A room with a message to react to, a board, a document and an open poll. */
  private RoomState classroom() {
    RoomState s = fresh();
    ok(s, post(TEACHER, "welcome"));
    ok(s, Operation.newBuilder().setActor(TEACHER).setBoard(BoardRequest.newBuilder().setRoomId(ROOM)
        .setBoardId("b1").setCreateBoard(BoardCreate.newBuilder().setTitle("B").setFirstPageId("p1"))).build());
    ok(s, Operation.newBuilder().setActor(TEACHER).setDocCreate(DocCreate.newBuilder().setRoomId(ROOM)
        .setDocId("report").setTitle("Report")).build());
    ok(s, poll(TEACHER, PollRequest.newBuilder().setCreate(PollCreate.newBuilder().setQuestion("?")
        .addOptions("yes").addOptions("no"))));
    ok(s, poll(TEACHER, PollRequest.newBuilder().setOpen(PollOpen.getDefaultInstance())));
    return s;
  }

  private static Operation poll(Actor a, PollRequest.Builder r) {
    return Operation.newBuilder().setActor(a)
        .setPoll(PollOperation.newBuilder().setRequest(r.setRoomId(ROOM).setPollId("q"))).build();
  }

  /** The action that needs the capability, as this actor (each call a new one). */
  private Operation action(Capability c, Actor a) {
    int n = unique.incrementAndGet();
    Operation.Builder op = Operation.newBuilder().setActor(a);
    return switch (c) {
      case CAPABILITY_CHAT -> post(a, "hello " + n);
      case CAPABILITY_PRIVATE_TO_TEACHERS -> post(a, "a question " + n, "", 0, true, "");
      case CAPABILITY_REACTIONS -> react(a, 1, n % 2 == 0 ? "👍" : "🎉", true);
      case CAPABILITY_WHITEBOARD -> op.setBoard(BoardRequest.newBuilder().setRoomId(ROOM).setBoardId("b1")
          .setAddElements(ElementsAdd.newBuilder().setPageId("p1").addElements(BoardElement.newBuilder()
              .setElementId("e" + n).setZ("a0").setRectangle(BoardBox.newBuilder().setWidth(5).setHeight(5)))))
          .build();
      case CAPABILITY_DOCUMENT_CREATE -> op.setDocCreate(DocCreate.newBuilder().setRoomId(ROOM)
          .setDocId("doc" + n).setTitle("Doc")).build();
      case CAPABILITY_DOCUMENT_EDIT -> op.setDocUpdate(DocUpdate.newBuilder().setRoomId(ROOM).setDocId("report")
          .setUpdate(ByteString.copyFrom(new YTextUpdates(1000 + n, "t").append("x" + n)))).build();
      case CAPABILITY_POLL_ANSWER -> poll(a, PollRequest.newBuilder()
          .setAnswer(PollAnswer.newBuilder().addChoices(n % 2)));
      case CAPABILITY_HAND_RAISE -> op.setHand(HandOperation.newBuilder().setRequest(HandRequest.newBuilder()
          .setRoomId(ROOM).setRaise(HandRaise.getDefaultInstance()))).build();
      default -> throw new IllegalArgumentException(c.toString());
    };
  }

  /** Does the action, and undoes what would stop doing it again (a raised hand). */
  private void works(RoomState s, Capability c, Actor a) {
    ok(s, action(c, a));
    if (c == Capability.CAPABILITY_HAND_RAISE) {
      ok(s, Operation.newBuilder().setActor(a).setHand(HandOperation.newBuilder().setRequest(HandRequest
          .newBuilder().setRoomId(ROOM).setLower(HandLower.getDefaultInstance()))).build());
    }
  }

  // ---- tests --------------------------------------------------------------------------------

  @Test
  void theFeatureOwnsPermissionOperationsOnly() {
    PermissionControls p = new PermissionControls();
    assertEquals("permissions", p.name());
    assertEquals(Set.of(Operation.BodyCase.PERMISSIONS), p.operations());
  }

  @Test
  void aRoomMadeBeforeTheNewFieldsKeepsWhatItAllowed() {
    Permissions chatOnly = Permissions.newBuilder().setChat(true).build();
    Permissions none = Permissions.getDefaultInstance();
    assertTrue(Capabilities.studentDefault(chatOnly, Capability.CAPABILITY_REACTIONS), "reactions follow chat");
    assertTrue(Capabilities.studentDefault(chatOnly, Capability.CAPABILITY_PRIVATE_TO_TEACHERS));
    assertFalse(Capabilities.studentDefault(none, Capability.CAPABILITY_REACTIONS));
    assertFalse(Capabilities.studentDefault(none, Capability.CAPABILITY_PRIVATE_TO_TEACHERS));
    for (Capability always : List.of(Capability.CAPABILITY_DOCUMENT_EDIT, Capability.CAPABILITY_POLL_ANSWER,
        Capability.CAPABILITY_HAND_RAISE)) {
      assertTrue(Capabilities.studentDefault(none, always), always + " was never switched off before");
    }
    assertFalse(Capabilities.studentDefault(none, Capability.CAPABILITY_DOCUMENT_CREATE));

    RoomState s = fresh();
    Set<Capability> all = EnumSet.copyOf(Capabilities.ALL);
    Set<Capability> student = EnumSet.copyOf(all);
    student.remove(Capability.CAPABILITY_DOCUMENT_CREATE);
    assertEquals(student, effective(s, "ana", Role.STUDENT));
    assertEquals(all, effective(s, "tina", Role.TEACHER));
    assertEquals(Set.of(), effective(s, "olga", Role.OBSERVER));
    assertEquals(8, Capabilities.ALL.size());
  }

  @Test
  void everyCapabilityIsCheckedWhereItsFeatureActsForTheRoomAndForOneParticipant() {
    RoomState s = classroom();
    for (Capability c : Capabilities.ALL) {
      ok(s, defaults(c, true));
      // Room-wide: every student is refused; teachers are not.
      ok(s, defaults(c, false));
      rejected(s, action(c, ANA), ErrorCode.CAPABILITY_DENIED);
      rejected(s, action(c, BO), ErrorCode.CAPABILITY_DENIED);
      if (c != Capability.CAPABILITY_POLL_ANSWER) { // teachers do not answer polls at all
        works(s, c, TEACHER);
      }
      // An override allowing it beats the default.
      ok(s, override("ana", c, Grant.GRANT_ALLOW));
      works(s, c, ANA);
      rejected(s, action(c, BO), ErrorCode.CAPABILITY_DENIED);
      ok(s, override("ana", c, Grant.GRANT_INHERIT));
      rejected(s, action(c, ANA), ErrorCode.CAPABILITY_DENIED);
      // Allowed for the room, denied for one: the others keep working.
      ok(s, defaults(c, true));
      ok(s, override("bo", c, Grant.GRANT_DENY));
      rejected(s, action(c, BO), ErrorCode.CAPABILITY_DENIED);
      works(s, c, ANA);
      // Allowed back.
      ok(s, override("bo", c, Grant.GRANT_ALLOW));
      works(s, c, BO);
      ok(s, override("bo", c, Grant.GRANT_INHERIT));
      works(s, c, BO);
      // An observer is read-only whatever an override says.
      ok(s, override("olga", c, Grant.GRANT_ALLOW));
      rejected(s, action(c, OBS), ErrorCode.READ_ONLY);
    }
  }

  @Test
  void theCapabilityRefusalNamesTheCapability() {
    RoomState s = classroom();
    ok(s, override("ana", Capability.CAPABILITY_REACTIONS, Grant.GRANT_DENY));
    AppliedOperation a = apply(s, action(Capability.CAPABILITY_REACTIONS, ANA));
    assertEquals(ErrorCode.CAPABILITY_DENIED, a.rejection().getCode());
    assertTrue(a.rejection().getMessage().contains("reactions"), a.rejection().getMessage());
    assertEquals(ROOM, a.rejection().getRoomId());
  }

  @Test
  void changingTheDefaultsChangesTheSettingsAndOnlyTheCapabilityNamed() {
    RoomState s = fresh();
    AppliedOperation a = ok(s, defaults(Capability.CAPABILITY_CHAT, false));
    assertEquals("", a.privateTo(), "everyone sees the room's defaults change");
    PermissionsChanged changed = a.event().getPermissionsChanged();
    assertEquals("", changed.getUserId());
    assertEquals(PermissionsState.defaults(s.settings().getStudentPermissions()), changed.getStudentDefaultsList());
    Permissions now = s.settings().getStudentPermissions();
    assertFalse(now.getChat());
    assertTrue(now.hasReactions() && now.getReactions(), "reactions were following chat: pinned, not changed");
    assertTrue(now.hasPrivateToTeachers() && now.getPrivateToTeachers());
    rejected(s, post(ANA, "hi"), ErrorCode.CAPABILITY_DENIED);
    // With chat off for the room, a student can still ask the teacher.
    ok(s, post(ANA, "may I ask?", "", 0, true, ""));
    // Two grants in one request.
    ok(s, permissions(TEACHER, "", grant(Capability.CAPABILITY_CHAT, Grant.GRANT_ALLOW),
        grant(Capability.CAPABILITY_WHITEBOARD, Grant.GRANT_DENY)));
    assertTrue(s.settings().getStudentPermissions().getChat());
    assertFalse(s.settings().getStudentPermissions().getWhiteboard());
  }

  @Test
  void muteAndTheChatSwitchStayOnTopOfAnOverride() {
    RoomState s = fresh();
    ok(s, override("ana", Capability.CAPABILITY_CHAT, Grant.GRANT_ALLOW));
    ok(s, mute(TEACHER, "ana", true));
    rejected(s, post(ANA, "muted"), ErrorCode.MUTED);
    ok(s, mute(TEACHER, "ana", false));
    ok(s, studentChat(TEACHER, false));
    rejected(s, post(ANA, "chat is off"), ErrorCode.CHAT_DISABLED);
    ok(s, studentChat(TEACHER, true));
    ok(s, post(ANA, "back"));
    // The capability comes first: denied and muted reads as denied.
    ok(s, override("ana", Capability.CAPABILITY_CHAT, Grant.GRANT_DENY));
    ok(s, mute(TEACHER, "ana", true));
    rejected(s, post(ANA, "x"), ErrorCode.CAPABILITY_DENIED);
  }

  @Test
  void eachViewerSeesTheirOwnEffectivePermissionsAndTeachersEveryOverride() {
    RoomState s = fresh();
    AppliedOperation a = ok(s, permissions(TEACHER, "ana", grant(Capability.CAPABILITY_HAND_RAISE, Grant.GRANT_DENY),
        grant(Capability.CAPABILITY_DOCUMENT_CREATE, Grant.GRANT_ALLOW)));
    assertEquals("ana", a.privateTo(), "an override is between the teachers and that participant");
    PermissionsChanged changed = a.event().getPermissionsChanged();
    assertEquals("ana", changed.getUserId());
    assertEquals(List.of(grant(Capability.CAPABILITY_DOCUMENT_CREATE, Grant.GRANT_ALLOW),
        grant(Capability.CAPABILITY_HAND_RAISE, Grant.GRANT_DENY)), changed.getOverride().getGrantsList());
    ok(s, override("bo", Capability.CAPABILITY_CHAT, Grant.GRANT_DENY));

    PermissionsView ana = s.snapshotFor("ana", Role.STUDENT).getPermissions();
    assertTrue(ana.getEffectiveList().contains(Capability.CAPABILITY_DOCUMENT_CREATE));
    assertFalse(ana.getEffectiveList().contains(Capability.CAPABILITY_HAND_RAISE));
    assertEquals(List.of("ana"), ana.getOverridesList().stream().map(o -> o.getUserId()).toList());
    PermissionsView bo = s.snapshotFor("bo", Role.STUDENT).getPermissions();
    assertFalse(bo.getEffectiveList().contains(Capability.CAPABILITY_CHAT));
    assertTrue(bo.getEffectiveList().contains(Capability.CAPABILITY_HAND_RAISE));
    assertEquals(List.of("bo"), bo.getOverridesList().stream().map(o -> o.getUserId()).toList());
    PermissionsView carl = s.snapshotFor("carl", Role.STUDENT).getPermissions();
    assertEquals(List.of(), carl.getOverridesList());
    assertEquals(PermissionsState.defaults(LEGACY.getStudentPermissions()), carl.getStudentDefaultsList());
    PermissionsView tina = s.snapshotFor("tina", Role.TEACHER).getPermissions();
    assertEquals(List.of("ana", "bo"), tina.getOverridesList().stream().map(o -> o.getUserId()).toList());
    assertEquals(Capabilities.ALL, tina.getEffectiveList());
    PermissionsView olga = s.snapshotFor("olga", Role.OBSERVER).getPermissions();
    assertEquals(List.of(), olga.getEffectiveList());
    assertEquals(List.of(), olga.getOverridesList());

    // Removing the last grant removes the override.
    ok(s, permissions(TEACHER, "ana", grant(Capability.CAPABILITY_HAND_RAISE, Grant.GRANT_INHERIT),
        grant(Capability.CAPABILITY_DOCUMENT_CREATE, Grant.GRANT_INHERIT)));
    assertFalse(s.feature(PermissionsState.class).hasOverride("ana"));
    assertEquals(List.of("bo"), s.snapshotFor("tina", Role.TEACHER).getPermissions().getOverridesList()
        .stream().map(o -> o.getUserId()).toList());
  }

  @Test
  void theRecordAndAReplayGiveTheSameState() {
    RoomState s = classroom();
    ok(s, defaults(Capability.CAPABILITY_REACTIONS, false));
    ok(s, override("ana", Capability.CAPABILITY_REACTIONS, Grant.GRANT_ALLOW));
    ok(s, override("bo", Capability.CAPABILITY_POLL_ANSWER, Grant.GRANT_DENY));
    RoomState restored = RoomState.fromRecord(s.toRecord(), FEATURES);
    RoomState replayed = RoomState.create(ROOM, LEGACY, FEATURES);
    for (Operation op : log) {
      apply(replayed, op);
    }
    assertEquals(s.toRecord(), restored.toRecord());
    assertEquals(s.toRecord(), replayed.toRecord());
    for (String viewer : List.of("ana", "bo", "tina")) {
      Role role = viewer.equals("tina") ? Role.TEACHER : Role.STUDENT;
      assertEquals(s.snapshotFor(viewer, role).getPermissions(), restored.snapshotFor(viewer, role).getPermissions());
    }
    ok(restored, action(Capability.CAPABILITY_REACTIONS, ANA));
    rejected(restored, action(Capability.CAPABILITY_REACTIONS, BO), ErrorCode.CAPABILITY_DENIED);
    rejected(restored, action(Capability.CAPABILITY_POLL_ANSWER, BO), ErrorCode.CAPABILITY_DENIED);
  }

  @Test
  void badRequestsAreRefusedWithTheirCodeAndChangeNothing() {
    RoomState s = fresh();
    var before = s.toRecord().toBuilder().clearSeq().build();
    rejected(s, permissions(ANA, "bo", grant(Capability.CAPABILITY_CHAT, Grant.GRANT_DENY)),
        ErrorCode.PERMISSION_DENIED);
    rejected(s, permissions(OBS, "", grant(Capability.CAPABILITY_CHAT, Grant.GRANT_DENY)),
        ErrorCode.PERMISSION_DENIED);
    rejected(s, permissions(TEACHER, "ana", CapabilityGrant.newBuilder().setCapabilityValue(99)
        .setGrant(Grant.GRANT_DENY).build()), ErrorCode.CAPABILITY_UNKNOWN);
    rejected(s, permissions(TEACHER, "ana", grant(Capability.CAPABILITY_UNSPECIFIED, Grant.GRANT_DENY)),
        ErrorCode.CAPABILITY_UNKNOWN);
    rejected(s, permissions(TEACHER, "ana"), ErrorCode.INVALID_REQUEST);
    rejected(s, permissions(TEACHER, "ana", grant(Capability.CAPABILITY_CHAT, Grant.GRANT_DENY),
        grant(Capability.CAPABILITY_CHAT, Grant.GRANT_ALLOW)), ErrorCode.INVALID_REQUEST);
    rejected(s, permissions(TEACHER, "", grant(Capability.CAPABILITY_CHAT, Grant.GRANT_INHERIT)),
        ErrorCode.INVALID_REQUEST);
    rejected(s, permissions(TEACHER, "ana", CapabilityGrant.newBuilder()
        .setCapability(Capability.CAPABILITY_CHAT).setGrantValue(7).build()), ErrorCode.INVALID_REQUEST);
    rejected(s, permissions(TEACHER, "bad id", grant(Capability.CAPABILITY_CHAT, Grant.GRANT_DENY)),
        ErrorCode.INVALID_REQUEST);
    assertEquals(before.toBuilder().clearApplied().build(),
        s.toRecord().toBuilder().clearSeq().clearApplied().build());
    ok(s, endSession(TEACHER));
    rejected(s, permissions(TEACHER, "ana", grant(Capability.CAPABILITY_CHAT, Grant.GRANT_DENY)),
        ErrorCode.ROOM_ENDED);
  }

  @Test
  void changesAreAuditedWithCapabilitiesAndGrantsOnly() {
    RoomState s = fresh();
    assertEquals(AuditNote.about("permission.defaults", "", "reactions=deny"),
        s.audit(ok(s, defaults(Capability.CAPABILITY_REACTIONS, false))));
    assertEquals(new AuditNote("permission.override", "ana", "", "chat=deny,hand_raise=allow"),
        s.audit(ok(s, permissions(TEACHER, "ana", grant(Capability.CAPABILITY_CHAT, Grant.GRANT_DENY),
            grant(Capability.CAPABILITY_HAND_RAISE, Grant.GRANT_ALLOW)))));
  }
}
