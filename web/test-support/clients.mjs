// Shared by the SDK tests: clients on the `ws` package, a WebSocket that a test can cut off
// (a network failure without a close frame), and waiting helpers with timeouts.
import WebSocket from 'ws';
import { PonteClient } from '../sdk/src/index.js';

/**
 * A WebSocket class whose sockets a test can see and break: `sockets` are all that were opened,
 * `offline = true` makes new ones fail (connection refused), `deaf = true` loses every frame from
 * the server before the client reads it (answers lost on the way), `cut()` destroys the open
 * ones' TCP connections (the client sees 1006, the server sees a reset).
 */
export function controlledNetwork() {
  const net = {
    sockets: [],
    offline: false,
    deaf: false,
    opened: 0,
    cut() {
      for (const ws of net.sockets) {
        ws._socket?.destroy();
      }
    },
  };
  net.WebSocket = class extends WebSocket {
    constructor(url, protocols) {
      // Port 1 on loopback refuses connections: what a client sees while the network is down.
      super(net.offline ? 'ws://127.0.0.1:1/ws' : url, protocols);
      net.opened += 1;
      net.sockets.push(this);
    }

    get onmessage() {
      return super.onmessage;
    }

    set onmessage(listener) {
      super.onmessage = listener && ((ev) => {
        if (!net.deaf) {
          listener(ev);
        }
      });
    }
  };
  return net;
}

/**
 * A client of `server` for `user`, with test-friendly defaults.
 * @param {import('./server.mjs').PonteTestServer} server
 * @param {{user: string, rooms: Record<string, string>, name?: string} & object} options
 */
export function clientFor(server, { user, rooms, name, WebSocket: WS, token, ...options }) {
  const client = new PonteClient({
    url: server.wsUrl,
    token: token ?? (() => server.token({ user, name, rooms })),
    WebSocket: WS ?? WebSocket,
    requestTimeoutMs: 5000,
    backoff: { baseMs: 100, capMs: 1000 },
    ...options,
  });
  return client;
}

/**
 * Resolves when `predicate()` is truthy; rejects after timeoutMs with `what`.
 * @param {() => any} predicate
 * @param {string} what
 */
export async function waitFor(predicate, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = predicate();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The next `name` event of an emitter (its first argument), within timeoutMs.
 * @param {import('../sdk/src/index.js').Emitter} emitter
 * @param {string} name
 * @param {(arg: any) => boolean} [filter]
 */
export function nextEvent(emitter, name, filter = () => true, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${name}'`));
    }, timeoutMs);
    const off = emitter.on(name, (arg, ...rest) => {
      if (filter(arg, ...rest)) {
        clearTimeout(timer);
        off();
        resolve(arg);
      }
    });
  });
}

/** Collects the texts of the chatPosted events of a room, in order. */
export function chatTexts(room) {
  const texts = [];
  room.on('chatPosted', (m) => texts.push(m.text));
  return texts;
}

/** Closes clients, ignoring errors. */
export function closeAll(...clients) {
  for (const c of clients) {
    try {
      c?.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Records what a client and its rooms went through (state changes, joins, resets, refusals), to
 * explain a failed wait: `trace.toString()`.
 * @param {import('../sdk/src/index.js').PonteClient} client
 */
export function trace(client, label = client.clientName) {
  const t0 = Date.now();
  const lines = [];
  const log = (what) => lines.push(`${label} +${Date.now() - t0}ms ${what}`);
  client.on('state', (s) => log(`state ${s.state} ${s.codeName} ${s.reason} retryIn=${s.retryInMs}`));
  client.on('error', (e) => log(`error ${e.message}`));
  const watched = new Set();
  const watchRooms = () => {
    for (const room of client.rooms) {
      if (watched.has(room)) continue;
      watched.add(room);
      room.on('state', (s) => log(`room ${room.roomId} ${s.state} ${s.reason}`));
      room.on('joined', (j) => log(`room ${room.roomId} joined seq=${j.joined.seq} reset=${j.reset} missed=${j.joined.missed.length}`));
      room.on('left', (l) => log(`room ${room.roomId} left ${l.reasonName} ${l.error?.message ?? ''}`));
    }
  };
  client.on('state', watchRooms);
  client.on('message', watchRooms);
  return { lines, toString: () => lines.join('\n') };
}
