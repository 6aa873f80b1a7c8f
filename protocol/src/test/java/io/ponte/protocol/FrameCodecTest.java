package io.ponte.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Batch;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Hello;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.LockRoom;
import io.ponte.protocol.v1.MuteParticipant;
import io.ponte.protocol.v1.Participant;
import io.ponte.protocol.v1.Permissions;
import io.ponte.protocol.v1.PresenceState;
import io.ponte.protocol.v1.Reaction;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.Skipped;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.protocol.v1.Welcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FrameCodecTest {

  private static final String ROOM = "room-7b";
  /** Emoji (outside the BMP, so surrogate pairs in Java), CJK, Arabic, Polish, Greek. */
  private static final String INTL_TEXT =
      "Cześć! 👋🏽 こんにちは 你好 مرحبا Γειά σου — \"quoted\" \\ back\nslash\ttab 🇳🇱";

  // ------------------------------------------------------------------------------------------
  // Sample messages
  // ------------------------------------------------------------------------------------------

  static ClientMessage hello() {
    return ClientMessage.newBuilder()
        .setRequestId(1)
        .setHello(Hello.newBuilder().setToken("eyJhbGciOiJFUzI1NiJ9.e30.sig").setClient("web/1.4.2"))
        .build();
  }

  static ClientMessage join() {
    return ClientMessage.newBuilder()
        .setRequestId(2)
        .setJoin(Join.newBuilder().setRoomId(ROOM).setLastSeq(9_007_199_254_740_993L).setEpoch("ep-3"))
        .build();
  }

  static ClientMessage chatPost() {
    return ClientMessage.newBuilder()
        .setRequestId(Long.MAX_VALUE)
        .setChatPost(
            ChatPost.newBuilder()
                .setRoomId(ROOM)
                .setText(INTL_TEXT)
                .setLanguage("pt-BR")
                .setReplyTo(41)
                .setToTeachers(true)
                .setClientMsgId("c-0001-ü"))
        .build();
  }

  static ClientMessage teacherMute() {
    return ClientMessage.newBuilder()
        .setRequestId(4)
        .setTeacherAction(
            TeacherAction.newBuilder()
                .setRoomId(ROOM)
                .setClientMsgId("t-1")
                .setMute(MuteParticipant.newBuilder().setUserId("u-stu-9").setMuted(true)))
        .build();
  }

  static ClientMessage teacherLock() {
    return ClientMessage.newBuilder()
        .setRequestId(5)
        .setTeacherAction(
            TeacherAction.newBuilder()
                .setRoomId(ROOM)
                .setClientMsgId("t-2")
                .setLock(LockRoom.newBuilder().setLocked(true)))
        .build();
  }

  static Actor teacher() {
    return Actor.newBuilder().setUserId("u-t-1").setDisplayName("Ms Kowalska").setRole(Role.TEACHER).build();
  }

  static ChatMessage chatMessage(long seq, String text) {
    return ChatMessage.newBuilder()
        .setSeq(seq)
        .setAuthor(teacher())
        .setText(text)
        .setLanguage("pl")
        .setReplyTo(seq - 1)
        .setPostedMs(1_767_225_600_000L)
        .setEditedMs(1_767_225_601_000L)
        .addReactions(Reaction.newBuilder().setReaction("👍").addUserIds("u-1").addUserIds("u-2"))
        .setClientMsgId("c-" + seq)
        .build();
  }

  static Event chatPostedEvent(long seq) {
    return Event.newBuilder()
        .setRoomId(ROOM)
        .setSeq(seq)
        .setServerTimeMs(1_767_225_600_123L)
        .setActor(teacher())
        .setChatPosted(chatMessage(seq, INTL_TEXT))
        .build();
  }

  static ServerMessage event() {
    return ServerMessage.newBuilder().setEvent(chatPostedEvent(42)).build();
  }

  static ServerMessage joined() {
    RoomSnapshot snapshot =
        RoomSnapshot.newBuilder()
            .setSettings(
                RoomSettings.newBuilder()
                    .setTitle("Biologia 3B")
                    .addLanguages("pl")
                    .addLanguages("nl")
                    .setMaxParticipants(40)
                    .setRetentionDays(30)
                    .setStudentPermissions(Permissions.newBuilder().setChat(true)))
            .setLocked(true)
            .setStudentChatEnabled(true)
            .addMutedUserIds("u-m")
            .addBannedUserIds("u-b")
            .addRecentMessages(chatMessage(40, "older"))
            .addRecentMessages(chatMessage(41, INTL_TEXT))
            .setMoreHistory(true)
            .build();
    Event skipped =
        Event.newBuilder().setRoomId(ROOM).setSeq(43).setServerTimeMs(7).setSkipped(Skipped.getDefaultInstance()).build();
    return ServerMessage.newBuilder()
        .setRequestId(2)
        .setJoined(
            Joined.newBuilder()
                .setRoomId(ROOM)
                .setEpoch("ep-3")
                .setSeq(43)
                .setReset(true)
                .setSnapshot(snapshot)
                .addMissed(chatPostedEvent(42))
                .addMissed(skipped)
                .addParticipants(
                    Participant.newBuilder()
                        .setUserId("u-t-1")
                        .setDisplayName("Ms Kowalska")
                        .setRole(Role.TEACHER)
                        .setState(PresenceState.ACTIVE)
                        .setConnections(2))
                .setRole(Role.STUDENT))
        .build();
  }

  static ServerMessage rateLimited() {
    return ServerMessage.newBuilder()
        .setRequestId(3)
        .setError(ErrorCodes.error(ErrorCode.RATE_LIMITED, "slow down", ROOM, 1500))
        .build();
  }

  static ServerMessage ack() {
    return ServerMessage.newBuilder().setRequestId(3).setAck(Ack.newBuilder().setSeq(42).setDuplicate(true)).build();
  }

  static ServerMessage welcome() {
    return ServerMessage.newBuilder()
        .setRequestId(1)
        .setWelcome(Welcome.newBuilder().setSessionId("s-1").setServerTimeMs(-5).setTokenExpiresMs(Long.MIN_VALUE))
        .build();
  }

  static List<ClientMessage> clientSamples() {
    return List.of(
        hello(), join(), chatPost(), teacherMute(), teacherLock(), ClientMessage.getDefaultInstance());
  }

  static List<ServerMessage> serverSamples() {
    return List.of(event(), joined(), rateLimited(), ack(), welcome(), ServerMessage.getDefaultInstance());
  }

  // ------------------------------------------------------------------------------------------
  // Round trips
  // ------------------------------------------------------------------------------------------

  @Test
  void clientMessagesRoundTripInBothFormats() throws Exception {
    for (ClientMessage m : clientSamples()) {
      assertEquals(m, FrameCodec.decodeClient(FrameCodec.encodeBinary(m)), "binary " + m.getBodyCase());
      assertEquals(m, FrameCodec.decodeClient(FrameCodec.encodeJson(m)), "json " + m.getBodyCase());
    }
  }

  @Test
  void serverMessagesRoundTripInBothFormats() throws Exception {
    for (ServerMessage m : serverSamples()) {
      assertEquals(m, FrameCodec.decodeServer(FrameCodec.encodeBinary(m)), "binary " + m.getBodyCase());
      assertEquals(m, FrameCodec.decodeServer(FrameCodec.encodeJson(m)), "json " + m.getBodyCase());
    }
  }

  @Test
  void nonLatinTextAndEmojiSurviveBothFormatsExactly() throws Exception {
    ClientMessage m = chatPost();
    String bin = FrameCodec.decodeClient(FrameCodec.encodeBinary(m)).getChatPost().getText();
    String json = FrameCodec.decodeClient(FrameCodec.encodeJson(m)).getChatPost().getText();
    assertEquals(INTL_TEXT, bin);
    assertEquals(INTL_TEXT, json);
    // The JSON text frame re-encoded as UTF-8 (as a WebSocket text frame is) still decodes.
    byte[] utf8 = FrameCodec.utf8(FrameCodec.encodeJson(m));
    assertEquals(m, FrameCodec.decodeClient(new String(utf8, java.nio.charset.StandardCharsets.UTF_8)));
  }

  @Test
  void jsonUsesLowerCamelCaseNamesStringInt64sAndEnumNames() {
    String join = FrameCodec.encodeJson(join());
    assertEquals(
        "{\"requestId\":\"2\",\"join\":{\"roomId\":\"room-7b\",\"lastSeq\":\"9007199254740993\",\"epoch\":\"ep-3\"}}",
        join);

    String error = FrameCodec.encodeJson(rateLimited());
    assertTrue(error.contains("\"code\":\"RATE_LIMITED\""), error);
    assertTrue(error.contains("\"retryable\":true"), error);
    assertTrue(error.contains("\"retryAfterMs\":1500"), error); // uint32: a JSON number
    assertTrue(error.contains("\"roomId\":\"room-7b\""), error);
    assertTrue(error.contains("\"requestId\":\"3\""), error);

    String post = FrameCodec.encodeJson(chatPost());
    assertTrue(post.contains("\"chatPost\":{"), post);
    assertTrue(post.contains("\"toTeachers\":true"), post);
    assertTrue(post.contains("\"clientMsgId\":"), post);
    assertTrue(post.contains("\"replyTo\":\"41\""), post);
    assertFalse(post.contains("_"), "no snake_case names: " + post);

    String mute = FrameCodec.encodeJson(teacherMute());
    assertTrue(mute.contains("\"teacherAction\":{"), mute);
    assertTrue(mute.contains("\"mute\":{\"userId\":\"u-stu-9\",\"muted\":true}"), mute);

    String joined = FrameCodec.encodeJson(joined());
    assertTrue(joined.contains("\"role\":\"TEACHER\""), joined);
    assertTrue(joined.contains("\"state\":\"ACTIVE\""), joined);
    assertTrue(joined.contains("\"moreHistory\":true"), joined);
    assertTrue(joined.contains("\"skipped\":{}"), joined);

    String event = FrameCodec.encodeJson(event());
    assertTrue(event.contains("\"chatPosted\":{"), event);
    assertTrue(event.contains("\"serverTimeMs\":\"1767225600123\""), event);
    // request_id 0 (a push, not an answer) is the default and is left out.
    assertFalse(event.contains("requestId"), event);
  }

  @Test
  void jsonDecodingAccepts64BitIntegersAsStringsAndAsNumbers() throws Exception {
    ClientMessage expected =
        ClientMessage.newBuilder()
            .setRequestId(9_007_199_254_740_993L)
            .setJoin(Join.newBuilder().setRoomId("r").setLastSeq(-1L /* uint64 max */).setEpoch("e"))
            .build();
    String asStrings =
        "{\"requestId\":\"9007199254740993\",\"join\":{\"roomId\":\"r\",\"lastSeq\":\"18446744073709551615\",\"epoch\":\"e\"}}";
    String asNumbers =
        "{\"requestId\":9007199254740993,\"join\":{\"roomId\":\"r\",\"lastSeq\":18446744073709551615,\"epoch\":\"e\"}}";
    assertEquals(expected, FrameCodec.decodeClient(asStrings));
    assertEquals(expected, FrameCodec.decodeClient(asNumbers));

    ServerMessage ev =
        FrameCodec.decodeServer(
            "{\"event\":{\"roomId\":\"r\",\"seq\":42,\"serverTimeMs\":-1767225600123,\"typing\":{\"userId\":\"u\",\"typing\":true}}}");
    assertEquals(42, ev.getEvent().getSeq());
    assertEquals(-1_767_225_600_123L, ev.getEvent().getServerTimeMs());
    assertTrue(ev.getEvent().getTyping().getTyping());
    ServerMessage ev2 =
        FrameCodec.decodeServer("{\"event\":{\"roomId\":\"r\",\"seq\":\"42\",\"serverTimeMs\":\"-1767225600123\"}}");
    assertEquals(ev.getEvent().getSeq(), ev2.getEvent().getSeq());
    assertEquals(ev.getEvent().getServerTimeMs(), ev2.getEvent().getServerTimeMs());
  }

  @Test
  void jsonDecodingAcceptsOriginalProtoFieldNamesAndEnumNumbers() throws Exception {
    // proto3 JSON parsers must accept the proto field name as well as the lowerCamelCase name.
    ClientMessage m = FrameCodec.decodeClient("{\"request_id\":\"2\",\"join\":{\"room_id\":\"room-7b\",\"last_seq\":\"9007199254740993\",\"epoch\":\"ep-3\"}}");
    assertEquals(join(), m);
    ServerMessage e = FrameCodec.decodeServer("{\"error\":{\"code\":1500}}");
    assertEquals(ErrorCode.RATE_LIMITED, e.getError().getCode());
  }

  @Test
  void unknownJsonFieldsAreIgnored() throws Exception {
    ClientMessage m =
        FrameCodec.decodeClient(
            "{\"requestId\":\"1\",\"futureTopLevel\":{\"x\":[1,2,{\"y\":null}]},"
                + "\"hello\":{\"token\":\"eyJhbGciOiJFUzI1NiJ9.e30.sig\",\"client\":\"web/1.4.2\",\"capabilities\":[\"a\"]}}");
    assertEquals(hello(), m);

    ServerMessage s =
        FrameCodec.decodeServer("{\"requestId\":\"3\",\"ack\":{\"seq\":\"42\",\"duplicate\":true,\"shard\":7}}");
    assertEquals(ack(), s);
  }

  @Test
  void unknownEnumValuesDoNotBreakDecoding() throws Exception {
    // A newer peer may send an enum value this build does not know: by name it is ignored (the
    // field keeps its default), by number it is kept as an unrecognized value.
    ServerMessage byName = FrameCodec.decodeServer("{\"error\":{\"code\":\"SOME_FUTURE_CODE\",\"message\":\"m\"}}");
    assertEquals(ErrorCode.ERROR_CODE_UNSPECIFIED, byName.getError().getCode());
    assertEquals("m", byName.getError().getMessage());
    ServerMessage byNumber = FrameCodec.decodeServer("{\"error\":{\"code\":1999}}");
    assertEquals(ErrorCode.UNRECOGNIZED, byNumber.getError().getCode());
    assertEquals(1999, byNumber.getError().getCodeValue());
    ServerMessage binary = FrameCodec.decodeServer(FrameCodec.encodeBinary(byNumber));
    assertEquals(1999, binary.getError().getCodeValue());
  }

  @Test
  void unknownBinaryFieldsDoNotBreakDecoding() throws Exception {
    byte[] known = FrameCodec.encodeBinary(join());
    // Append field 500 (varint 1), as a newer peer might send.
    int tag = (500 << 3);
    byte[] extra = new byte[CodedOutputStream.computeUInt32SizeNoTag(tag) + 1];
    CodedOutputStream cos = CodedOutputStream.newInstance(extra);
    cos.writeUInt32NoTag(tag);
    cos.writeUInt32NoTag(1);
    cos.flush();
    byte[] frame = concat(known, extra);
    ClientMessage decoded = FrameCodec.decodeClient(frame);
    assertEquals(join().getJoin(), decoded.getJoin());
    assertEquals(join().getRequestId(), decoded.getRequestId());
  }

  // ------------------------------------------------------------------------------------------
  // Batches
  // ------------------------------------------------------------------------------------------

  static List<ServerMessage> batchSamples() {
    String big = "🦉 sowa ".repeat(3000); // far above 128 bytes (and 16 KiB): 2- and 3-byte varints
    ServerMessage large =
        ServerMessage.newBuilder()
            .setEvent(Event.newBuilder().setRoomId(ROOM).setSeq(44).setChatPosted(chatMessage(44, big)))
            .build();
    ServerMessage medium =
        ServerMessage.newBuilder()
            .setEvent(Event.newBuilder().setRoomId(ROOM).setSeq(45).setChatPosted(chatMessage(45, "x".repeat(150))))
            .build();
    return List.of(event(), ack(), ServerMessage.getDefaultInstance(), rateLimited(), large, medium, joined());
  }

  static ServerMessage batchOf(List<ServerMessage> messages) {
    return ServerMessage.newBuilder().setBatch(Batch.newBuilder().addAllMessages(messages)).build();
  }

  @Test
  void batchSamplesCoverMultiByteLengths() {
    List<ServerMessage> samples = batchSamples();
    assertTrue(samples.stream().anyMatch(m -> m.getSerializedSize() > 128));
    assertTrue(samples.stream().anyMatch(m -> m.getSerializedSize() > 16384));
    assertTrue(samples.stream().anyMatch(m -> m.getSerializedSize() == 0));
  }

  @Test
  void binaryBatchDecodesToExactlyTheMessagesInOrder() throws Exception {
    List<ServerMessage> messages = batchSamples();
    List<byte[]> encoded = new ArrayList<>();
    for (ServerMessage m : messages) {
      encoded.add(FrameCodec.encodeBinary(m));
    }
    byte[] frame = FrameCodec.batchBinary(encoded);
    ServerMessage decoded = FrameCodec.decodeServer(frame);
    assertEquals(ServerMessage.BodyCase.BATCH, decoded.getBodyCase());
    assertEquals(0, decoded.getRequestId());
    assertEquals(messages, decoded.getBatch().getMessagesList());
    // Byte-for-byte what protobuf itself would produce for the same message.
    assertArrayEquals(FrameCodec.encodeBinary(batchOf(messages)), frame);
  }

  @Test
  void binaryBatchOfEachSizeIsValid() throws Exception {
    // Single messages of growing size cross every varint length boundary of the inner lengths.
    for (int n : new int[] {0, 1, 100, 120, 125, 126, 127, 128, 129, 200, 16_370, 16_384, 20_000}) {
      ServerMessage m =
          ServerMessage.newBuilder().setError(ErrorInfo.newBuilder().setMessage("m".repeat(n))).build();
      byte[] frame = FrameCodec.batchBinary(List.of(FrameCodec.encodeBinary(m)));
      assertEquals(List.of(m), FrameCodec.decodeServer(frame).getBatch().getMessagesList(), "n=" + n);
      assertArrayEquals(FrameCodec.encodeBinary(batchOf(List.of(m))), frame, "n=" + n);
    }
  }

  @Test
  void emptyBinaryBatch() throws Exception {
    byte[] frame = FrameCodec.batchBinary(List.of());
    ServerMessage decoded = FrameCodec.decodeServer(frame);
    assertTrue(decoded.hasBatch());
    assertEquals(0, decoded.getBatch().getMessagesCount());
    assertEquals(batchOf(List.of()), decoded);
  }

  @Test
  void jsonBatchDecodesToExactlyTheMessagesInOrder() throws Exception {
    List<ServerMessage> messages = batchSamples();
    List<String> encoded = new ArrayList<>();
    for (ServerMessage m : messages) {
      encoded.add(FrameCodec.encodeJson(m));
    }
    String frame = FrameCodec.batchJson(encoded);
    ServerMessage decoded = FrameCodec.decodeServer(frame);
    assertEquals(ServerMessage.BodyCase.BATCH, decoded.getBodyCase());
    assertEquals(messages, decoded.getBatch().getMessagesList());
    assertEquals(batchOf(messages), FrameCodec.decodeServer(FrameCodec.encodeJson(batchOf(messages))));
  }

  @Test
  void emptyJsonBatch() throws Exception {
    String frame = FrameCodec.batchJson(List.of());
    assertEquals("{\"batch\":{\"messages\":[]}}", frame);
    ServerMessage decoded = FrameCodec.decodeServer(frame);
    assertTrue(decoded.hasBatch());
    assertEquals(0, decoded.getBatch().getMessagesCount());
  }

  // ------------------------------------------------------------------------------------------
  // Malformed input
  // ------------------------------------------------------------------------------------------

  private static void assertMalformedClient(byte[] frame) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> FrameCodec.decodeClient(frame));
    assertEquals(ErrorCode.MALFORMED_MESSAGE, e.code());
  }

  private static void assertMalformedServer(byte[] frame) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> FrameCodec.decodeServer(frame));
    assertEquals(ErrorCode.MALFORMED_MESSAGE, e.code());
  }

  @Test
  void truncatedProtobufIsMalformed() {
    ClientMessage m = chatPost();
    byte[] full = FrameCodec.encodeBinary(m);
    // Everything after the request_id field is the length-delimited chat_post field: any cut
    // after its tag leaves it incomplete.
    int bodyStart = CodedOutputStream.computeUInt64Size(ClientMessage.REQUEST_ID_FIELD_NUMBER, m.getRequestId());
    for (int len = bodyStart + 1; len < full.length; len++) {
      assertMalformedClient(Arrays.copyOf(full, len));
    }
    // A cut inside the request_id varint itself.
    assertMalformedClient(Arrays.copyOf(full, 3));

    byte[] joined = FrameCodec.encodeBinary(joined());
    int joinedStart = CodedOutputStream.computeUInt64Size(ServerMessage.REQUEST_ID_FIELD_NUMBER, 2);
    for (int len = joinedStart + 1; len < joined.length; len++) {
      assertMalformedServer(Arrays.copyOf(joined, len));
    }
    byte[] batch = FrameCodec.batchBinary(List.of(FrameCodec.encodeBinary(event()), FrameCodec.encodeBinary(ack())));
    for (int len = 1; len < batch.length; len++) {
      assertMalformedServer(Arrays.copyOf(batch, len));
    }
  }

  @Test
  void randomBytesEitherDecodeOrAreMalformed() {
    Random random = new Random(0x5EED_2026L);
    int decoded = 0;
    int malformed = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] frame = new byte[random.nextInt(80)];
      random.nextBytes(frame);
      for (int side = 0; side < 2; side++) {
        try {
          if (side == 0) {
            FrameCodec.decodeClient(frame);
          } else {
            FrameCodec.decodeServer(frame);
          }
          decoded++;
        } catch (ProtocolException e) {
          assertEquals(ErrorCode.MALFORMED_MESSAGE, e.code());
          malformed++;
        }
        // Any other exception fails the test.
      }
    }
    assertTrue(decoded > 0, "some random frames decode (e.g. the empty one)");
    assertTrue(malformed > 0);
  }

  @Test
  void mutatedValidFramesEitherDecodeOrAreMalformed() {
    Random random = new Random(42);
    List<byte[]> seeds = new ArrayList<>();
    for (ServerMessage m : batchSamples()) {
      if (m.getSerializedSize() < 4096) {
        seeds.add(FrameCodec.encodeBinary(m));
      }
    }
    for (int i = 0; i < 20_000; i++) {
      byte[] frame = seeds.get(random.nextInt(seeds.size())).clone();
      if (frame.length == 0) {
        continue;
      }
      int flips = 1 + random.nextInt(4);
      for (int f = 0; f < flips; f++) {
        frame[random.nextInt(frame.length)] = (byte) random.nextInt(256);
      }
      try {
        FrameCodec.decodeServer(frame);
      } catch (ProtocolException e) {
        assertEquals(ErrorCode.MALFORMED_MESSAGE, e.code());
      }
      try {
        FrameCodec.decodeClient(frame);
      } catch (ProtocolException e) {
        assertEquals(ErrorCode.MALFORMED_MESSAGE, e.code());
      }
    }
  }

  @Test
  void deeplyNestedBatchesAreMalformedNotAStackOverflow() throws Exception {
    // A batch never contains a batch, but a hostile peer can nest them; the parsers' recursion
    // limits must turn that into MALFORMED_MESSAGE.
    byte[] frame = FrameCodec.encodeBinary(ServerMessage.getDefaultInstance());
    for (int i = 0; i < 1000; i++) {
      frame = FrameCodec.batchBinary(List.of(frame));
    }
    assertMalformedServer(frame);

    String json = "{}";
    for (int i = 0; i < 1000; i++) {
      json = FrameCodec.batchJson(List.of(json));
    }
    String deepJson = json;
    ProtocolException e = assertThrows(ProtocolException.class, () -> FrameCodec.decodeServer(deepJson));
    assertEquals(ErrorCode.MALFORMED_MESSAGE, e.code());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "{",
        "}",
        "not json",
        "{\"hello\":{}",
        "{\"requestId\":}",
        "{\"requestId\":\"1\",}",
        "{\"hello\":{}]",
        "{\"hello\":{\"token\":\"a\" \"client\":\"b\"}}",
        "{\"hello\":{\"token\":\"abc}}",
        "\u0000",
      })
  void invalidJsonIsMalformed(String frame) {
    ProtocolException c = assertThrows(ProtocolException.class, () -> FrameCodec.decodeClient(frame));
    assertEquals(ErrorCode.MALFORMED_MESSAGE, c.code());
    ProtocolException s = assertThrows(ProtocolException.class, () -> FrameCodec.decodeServer(frame));
    assertEquals(ErrorCode.MALFORMED_MESSAGE, s.code());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[]",
        "[{\"hello\":{}}]",
        "{\"hello\":5}",
        "{\"hello\":\"x\"}",
        "{\"hello\":[]}",
        "\"hello\"",
        "42",
        "true",
        "null",
        "{\"requestId\":\"abc\"}",
        "{\"requestId\":-1}",
        "{\"requestId\":1.5}",
        "{\"requestId\":\"18446744073709551616\"}",
        "{\"requestId\":{}}",
        "{\"hello\":{},\"join\":{}}",
        "{\"join\":{\"lastSeq\":\"-1\"}}",
      })
  void jsonOfTheWrongShapeIsMalformed(String frame) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> FrameCodec.decodeClient(frame));
    assertEquals(ErrorCode.MALFORMED_MESSAGE, e.code());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[]",
        "{\"ack\":5}",
        "{\"batch\":{\"messages\":{}}}",
        "{\"batch\":{\"messages\":[5]}}",
        "{\"error\":{\"code\":[]}}",
        "{\"event\":{\"seq\":\"1\",\"chatPosted\":{},\"skipped\":{}}}",
        "{\"ack\":{},\"pong\":{}}",
      })
  void serverJsonOfTheWrongShapeIsMalformed(String frame) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> FrameCodec.decodeServer(frame));
    assertEquals(ErrorCode.MALFORMED_MESSAGE, e.code());
  }

  @Test
  void randomJsonLikeTextEitherDecodesOrIsMalformed() {
    String alphabet = "{}[]:,\"\\ 0123456789-.eEtrufalsn\u00e9\ud83d\ude00abcdhelojinrqIDsmgyt_";
    String[] fragments = {
      "\"requestId\"", "\"hello\"", "\"join\"", "\"batch\"", "\"messages\"", "\"lastSeq\"", "\"code\"",
      "\"RATE_LIMITED\"", "\"18446744073709551615\"", "1e999", "-0", "null", "{", "}", "[", "]", ":", ","
    };
    Random random = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder sb = new StringBuilder();
      int parts = random.nextInt(24);
      for (int p = 0; p < parts; p++) {
        if (random.nextBoolean()) {
          sb.append(fragments[random.nextInt(fragments.length)]);
        } else {
          sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
      }
      String frame = sb.toString();
      try {
        FrameCodec.decodeClient(frame);
      } catch (ProtocolException e) {
        assertEquals(ErrorCode.MALFORMED_MESSAGE, e.code(), frame);
      }
      try {
        FrameCodec.decodeServer(frame);
      } catch (ProtocolException e) {
        assertEquals(ErrorCode.MALFORMED_MESSAGE, e.code(), frame);
      }
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
