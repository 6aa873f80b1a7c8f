package io.ponte.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Batch;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.TypingChanged;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatEventScanTest {

  /** What the scan handed out, as text: "chat room seq sent" or "other <decoded message>". */
  private static final class Recorder implements ChatEventScan.Sink {
    final List<String> seen = new ArrayList<>();

    @Override
    public void chatPosted(String roomId, long seq, long sentNanos) {
      seen.add("chat " + roomId + " " + seq + " " + sentNanos);
    }

    @Override
    public void other(byte[] frame, int offset, int length) {
      try {
        seen.add("other " + ServerMessage.parser().parseFrom(frame, offset, length)
            .getBodyCase());
      } catch (InvalidProtocolBufferException e) {
        seen.add("undecodable");
      }
    }
  }

  private static ServerMessage chat(String room, long seq, String text) {
    return ServerMessage.newBuilder().setEvent(Event.newBuilder()
        .setRoomId(room).setSeq(seq).setServerTimeMs(1_700_000_000_000L + seq)
        .setActor(Actor.newBuilder().setUserId("u1").setDisplayName("Zoë").setRole(Role.STUDENT))
        .setChatPosted(ChatMessage.newBuilder().setSeq(seq).setText(text)
            .setAuthor(Actor.newBuilder().setUserId("u1")).setClientMsgId("u1." + seq)))
        .build();
  }

  private static byte[] batch(ServerMessage... messages) {
    return ServerMessage.newBuilder()
        .setBatch(Batch.newBuilder().addAllMessages(Arrays.asList(messages))).build()
        .toByteArray();
  }

  private static List<String> read(byte[] frame) {
    Recorder r = new Recorder();
    new ChatEventScan().read(frame, r);
    return r.seen;
  }

  @Test
  void readsTheRoomSeqAndTimestampOfChatEventsAsTheFullDecodeDoes() {
    assertEquals(List.of("chat r1 7 123456789"),
        read(chat("r1", 7, "t123456789 hola ñ 👋").toByteArray()));
    assertEquals(List.of("chat r1 8 -42"), read(chat("r1", 8, "t-42 x").toByteArray()));
    assertEquals(List.of("chat r1 9 0"), read(chat("r1", 9, "no timestamp").toByteArray()));
    assertEquals(List.of("chat r1 10 0"), read(chat("r1", 10, "t12x").toByteArray()));
    for (String text : new String[] {"t99 a", "t-7 b", "plain", "t", "t12x", ""}) {
      assertEquals(Participant.sentNanos(text),
          Long.parseLong(read(chat("r", 1, text).toByteArray()).get(0).split(" ")[3]), text);
    }
  }

  @Test
  void handsOutABatchInOrderAndLeavesEverythingElseToTheFullDecode() {
    ServerMessage ack = ServerMessage.newBuilder().setRequestId(5)
        .setAck(Ack.newBuilder().setSeq(3)).build();
    ServerMessage typing = ServerMessage.newBuilder().setEvent(Event.newBuilder()
        .setRoomId("r1").setTyping(TypingChanged.getDefaultInstance())).build();
    ServerMessage chatWithRequestId = chat("r1", 4, "t1 x").toBuilder().setRequestId(9).build();
    assertEquals(List.of("chat r1 1 11", "other ACK", "chat room-2 2 22", "other EVENT",
            "other EVENT", "chat r1 3 33"),
        read(batch(chat("r1", 1, "t11 a"), ack, chat("room-2", 2, "t22 b"), typing,
            chatWithRequestId, chat("r1", 3, "t33 c"))));
    assertEquals(List.of("other ACK"), read(ack.toByteArray()));
  }

  @Test
  void aFrameItCannotReadGoesWholeToTheFullDecode() {
    byte[] good = batch(chat("r1", 1, "t1 a"), chat("r1", 2, "t2 b"));
    byte[] cut = Arrays.copyOf(good, good.length - 3);
    assertEquals(List.of("undecodable"), read(cut));
    assertEquals(List.of("undecodable"), read(new byte[] {(byte) 0xff, (byte) 0xff, 1}));
  }
}
