package io.ponte.server.chat;

import io.ponte.protocol.v1.ChatEdit;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ChatReact;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.HistoryPage;
import io.ponte.protocol.v1.HistoryRequest;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomFeature;
import io.ponte.server.session.Membership;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.Requests;
import io.ponte.server.session.Session;
import io.ponte.server.text.ChatText;
import java.util.Set;

/** The chat feature: posts, edits, deletions, reactions, history. */
public final class Chat implements RoomFeature, RequestFeature {
  private static final int DEFAULT_HISTORY_PAGE = 50;
  private static final Set<Operation.BodyCase> OPERATIONS = Set.of(Operation.BodyCase.CHAT_POST,
      Operation.BodyCase.CHAT_EDIT, Operation.BodyCase.CHAT_DELETE, Operation.BodyCase.CHAT_REACT);

  private final int maxReactionsPerMessage;
  private final int recentMessages;

  /**
   * @param maxReactionsPerMessage distinct (user, reaction) pairs a message may carry
   * @param recentMessages messages in a join snapshot
   */
  public Chat(int maxReactionsPerMessage, int recentMessages) {
    this.maxReactionsPerMessage = maxReactionsPerMessage;
    this.recentMessages = recentMessages;
  }

  @Override
  public String name() {
    return "chat";
  }

  @Override
  public Set<Operation.BodyCase> operations() {
    return OPERATIONS;
  }

  @Override
  public FeatureState load(RoomStateRecord record) {
    return new ChatState(record, maxReactionsPerMessage, recentMessages);
  }

  // ------------------------------------------------------------------------------------------
  // Requests (on the connection's context)
  // ------------------------------------------------------------------------------------------

  @Override
  public void register(Requests requests) {
    requests.on(ClientMessage.BodyCase.CHAT_POST, (s, id, m) -> post(s, id, m.getChatPost()));
    requests.on(ClientMessage.BodyCase.CHAT_EDIT, (s, id, m) -> edit(s, id, m.getChatEdit()));
    requests.on(ClientMessage.BodyCase.CHAT_DELETE, (s, id, m) -> {
      Membership member = s.member(id, m.getChatDelete().getRoomId());
      String clientMsgId = member == null ? null
          : s.clientMsgId(id, m.getChatDelete().getClientMsgId(), m.getChatDelete().getRoomId());
      if (clientMsgId != null) {
        s.submit(id, member, clientMsgId, Operation.newBuilder().setChatDelete(m.getChatDelete()));
      }
    });
    requests.on(ClientMessage.BodyCase.CHAT_REACT, (s, id, m) -> react(s, id, m.getChatReact()));
    requests.on(ClientMessage.BodyCase.HISTORY, (s, id, m) -> history(s, id, m.getHistory()));
  }

  private static void post(Session s, long requestId, ChatPost post) {
    Membership m = s.member(requestId, post.getRoomId());
    if (m == null) {
      return;
    }
    ChatText.Checked text = ChatText.message(post.getText());
    ChatText.Checked language = ChatText.language(post.getLanguage());
    ChatText.Checked id = ChatText.clientMsgId(post.getClientMsgId());
    ChatText.Checked bad = !text.ok() ? text : !language.ok() ? language : !id.ok() ? id : null;
    if (bad != null) {
      s.replyError(requestId, bad.error(), bad.reason(), post.getRoomId());
      return;
    }
    s.submit(requestId, m, id.value(), Operation.newBuilder().setChatPost(post.toBuilder()
        .setText(text.value()).setLanguage(language.value()).setClientMsgId(id.value())));
  }

  private static void edit(Session s, long requestId, ChatEdit edit) {
    Membership m = s.member(requestId, edit.getRoomId());
    if (m == null) {
      return;
    }
    ChatText.Checked text = ChatText.message(edit.getText());
    ChatText.Checked id = ChatText.clientMsgId(edit.getClientMsgId());
    ChatText.Checked bad = !text.ok() ? text : !id.ok() ? id : null;
    if (bad != null) {
      s.replyError(requestId, bad.error(), bad.reason(), edit.getRoomId());
      return;
    }
    s.submit(requestId, m, id.value(),
        Operation.newBuilder().setChatEdit(edit.toBuilder().setText(text.value())));
  }

  private static void react(Session s, long requestId, ChatReact react) {
    Membership m = s.member(requestId, react.getRoomId());
    if (m == null) {
      return;
    }
    ChatText.Checked reaction = ChatText.reaction(react.getReaction());
    ChatText.Checked id = ChatText.clientMsgId(react.getClientMsgId());
    ChatText.Checked bad = !reaction.ok() ? reaction : !id.ok() ? id : null;
    if (bad != null) {
      s.replyError(requestId, bad.error(), bad.reason(), react.getRoomId());
      return;
    }
    s.submit(requestId, m, id.value(),
        Operation.newBuilder().setChatReact(react.toBuilder().setReaction(reaction.value())));
  }

  private static void history(Session s, long requestId, HistoryRequest request) {
    Membership m = s.member(requestId, request.getRoomId());
    if (m == null) {
      return;
    }
    int max = s.config().historyPageMax();
    // limit is a uint32: above 2^31 it reads as a negative int, so compare it unsigned.
    long requested = Integer.toUnsignedLong(request.getLimit());
    if (requested > max) {
      s.replyError(requestId, ErrorCode.INVALID_REQUEST, "limit is at most " + max, request.getRoomId());
      return;
    }
    int limit = requested == 0 ? Math.min(DEFAULT_HISTORY_PAGE, max) : (int) requested;
    String viewer = s.principal().userId();
    m.room().read(state -> {
      ChatState.HistorySlice slice = state.feature(ChatState.class)
          .history(viewer, m.role(), request.getBeforeSeq(), limit);
      return HistoryPage.newBuilder().setRoomId(request.getRoomId())
          .addAllMessages(slice.messages()).setMore(slice.more()).build();
    }).onComplete(ar -> {
      if (ar.succeeded()) {
        s.reply(requestId, ServerMessage.newBuilder().setHistory(ar.result()));
      } else {
        s.replyFailure(requestId, ar.cause(), request.getRoomId());
      }
    });
  }
}
