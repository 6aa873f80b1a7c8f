package io.ponte.server.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionFilter;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionFilterProvider;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.netty.util.AttributeKey;
import io.ponte.server.config.PonteConfig;
import io.vertx.core.http.HttpConnection;
import java.util.HashMap;
import java.util.Map;

/**
 * permessage-deflate (RFC 7692) on the WebSocket endpoints when {@code ws-compression=on}, in place
 * of Vert.x's own: no context takeover either way (a compressed connection keeps no Deflater or
 * Inflater between messages, so an idle one costs no native memory), messages smaller than
 * {@code ws-compression-threshold-bytes} are sent uncompressed, and inflation stops at the wire
 * limit. Per-frame deflate (x-webkit-deflate-frame) is never offered.
 *
 * <p>Wiring: {@link #install} runs from the HTTP server's connection handler, after Vert.x has
 * added its extension handler (which exists only because allowing RSV1 frames in Vert.x requires
 * its per-message flag), and replaces it. An {@link InflationGuard} sits after the inflater: a
 * message that inflates past the limit is turned into an empty frame plus a channel mark, which
 * the socket's {@link MessageAssembler} refuses like any oversize message (4003), instead of
 * Netty's abrupt close without a close frame.
 *
 * <p>Pitfall: with no context takeover each compressed message allocates a Deflater (and each
 * compressed inbound message an Inflater) for its own duration; that is the CPU price of keeping
 * no window per idle connection.
 */
final class WebSocketDeflate {
  /** Set on a channel whose inbound message inflated past the limit. */
  static final AttributeKey<Boolean> INFLATED_TOO_LARGE = AttributeKey.valueOf("ponte.inflatedTooLarge");

  private WebSocketDeflate() { }

  /** Replaces Vert.x's extension handler of an HTTP/1 connection with ours. */
  static void install(HttpConnection connection, PonteConfig config, int maxMessageBytes) {
    if (!(connection instanceof io.vertx.core.http.impl.HttpServerConnection c)) {
      return;
    }
    ChannelPipeline pipeline = c.channelHandlerContext().pipeline();
    if (pipeline.get("handler") == null) {
      return; // HTTP/2: no WebSocket here
    }
    int threshold = config.wsCompressionThresholdBytes();
    WebSocketExtensionFilterProvider filters = new WebSocketExtensionFilterProvider() {
      @Override
      public WebSocketExtensionFilter encoderFilter() {
        // Small messages gain little and would each cost a Deflater.
        return frame -> frame.content().readableBytes() < threshold;
      }

      @Override
      public WebSocketExtensionFilter decoderFilter() {
        return WebSocketExtensionFilter.NEVER_SKIP;
      }
    };
    PerMessageDeflateServerExtensionHandshaker deflate = new PerMessageDeflateServerExtensionHandshaker(
        config.wsCompressionLevel(), false, PerMessageDeflateServerExtensionHandshaker.MAX_WINDOW_SIZE,
        true, true, filters, maxMessageBytes);
    WebSocketServerExtensionHandler handler =
        new WebSocketServerExtensionHandler(new NoContextTakeover(deflate));
    if (pipeline.get("webSocketExtensionHandler") != null) {
      pipeline.replace("webSocketExtensionHandler", "webSocketExtensionHandler", handler);
    } else {
      pipeline.addBefore("handler", "webSocketExtensionHandler", handler);
    }
    pipeline.addBefore("handler", "inflationGuard", new InflationGuard());
  }

  /**
   * Treats every offer as if it asked for no context takeover on both sides, so that Netty
   * answers with server_no_context_takeover and client_no_context_takeover (RFC 7692 lets the
   * server add the latter unasked) and keeps no window between messages.
   */
  private static final class NoContextTakeover implements WebSocketServerExtensionHandshaker {
    private final WebSocketServerExtensionHandshaker delegate;

    NoContextTakeover(WebSocketServerExtensionHandshaker delegate) {
      this.delegate = delegate;
    }

    @Override
    public WebSocketServerExtension handshakeExtension(WebSocketExtensionData offer) {
      if (!"permessage-deflate".equals(offer.name())) {
        return null;
      }
      Map<String, String> parameters = new HashMap<>(offer.parameters());
      parameters.put("server_no_context_takeover", null);
      parameters.put("client_no_context_takeover", null);
      return delegate.handshakeExtension(new WebSocketExtensionData(offer.name(), parameters));
    }
  }

  /** Turns "inflated past the limit" into a mark and an empty frame the socket refuses. */
  static final class InflationGuard extends ChannelInboundHandlerAdapter {
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
      if (root instanceof DecompressionException || cause instanceof DecompressionException) {
        if (ctx.channel().hasAttr(INFLATED_TOO_LARGE)) {
          return; // already refused; the close is under way
        }
        ctx.channel().attr(INFLATED_TOO_LARGE).set(Boolean.TRUE);
        WebSocketFrame marker = new BinaryWebSocketFrame(true, 0, io.netty.buffer.Unpooled.EMPTY_BUFFER);
        ctx.fireChannelRead(marker);
        ctx.fireChannelReadComplete();
        return;
      }
      ctx.fireExceptionCaught(cause);
    }
  }
}
