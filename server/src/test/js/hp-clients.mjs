// Real Hocuspocus clients (yjs + @hocuspocus/provider in Node, `ws` as the WebSocket) against a
// Ponte server's Hocuspocus-compatible endpoint /hocuspocus; y-websocket clients alongside.
//
//   node hp-clients.mjs <scenario> '<json params>'
//
// params: { url: "ws://127.0.0.1:<port>/hocuspocus", yws: "ws://127.0.0.1:<port>/yjs/<room>",
//           room, doc, tokens: { name: jwt, ... }, ... }
// Prints one JSON line with the scenario's result on stdout; exits non-zero on failure/timeout.
import * as Y from 'yjs'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

const log = console.log
console.log = console.info = console.warn = console.error = (...a) => process.stderr.write(a.join(' ') + '\n')

const [scenario, json] = process.argv.slice(2)
const P = JSON.parse(json)
const TIMEOUT = 15000

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const until = async (what, predicate, timeout = TIMEOUT) => {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeout) throw new Error('timed out waiting for ' + (typeof what === 'function' ? what() : what))
    await sleep(20)
  }
}

const cleanup = []
const socket = () => {
  const s = new HocuspocusProviderWebsocket({ url: P.url, WebSocketPolyfill: WebSocket, maxDelay: 300 })
  cleanup.push(() => s.destroy())
  return s
}
/** A Hocuspocus provider; records what the server said about authentication and errors. */
const hp = (tokenName, name = `${P.room}/${P.doc}`, websocketProvider = null) => {
  const p = new HocuspocusProvider({
    name,
    token: P.tokens[tokenName] ?? '',
    document: new Y.Doc(),
    ...(websocketProvider ? { websocketProvider } : { url: P.url, WebSocketPolyfill: WebSocket })
  })
  p.seen = { scope: null, failed: [], errors: [] }
  p.on('authenticated', ({ scope }) => { p.seen.scope = scope })
  p.on('authenticationFailed', ({ reason }) => p.seen.failed.push(reason))
  p.on('stateless', ({ payload }) => {
    const m = JSON.parse(payload)
    if (m.event === 'ponte.error') p.seen.errors.push(m.code)
  })
  if (websocketProvider) p.attach()
  cleanup.push(() => p.destroy())
  return p
}
const synced = p => until('sync of ' + p.configuration.name, () => p.synced)
const text = p => (p.document ?? p.doc).getText('t').toString()

const yws = (tokenName, doc = P.doc) => {
  const p = new WebsocketProvider(P.yws, doc, new Y.Doc(), {
    WebSocketPolyfill: WebSocket, disableBc: true, params: { token: P.tokens[tokenName] }, maxBackoffTime: 300
  })
  cleanup.push(() => p.destroy())
  return p
}

/** A fresh Hocuspocus client's view of the server's document. */
const serverText = async (name = `${P.room}/${P.doc}`, tokenName = 'reader') => {
  const p = hp(tokenName, name)
  await synced(p)
  const t = text(p)
  p.destroy()
  return t
}

const scenarios = {
  // P.n Hocuspocus providers (P.url) and P.n y-websocket providers (P.yws, maybe another node)
  // open one document at the same moment (it may not exist yet: the server creates it on open),
  // each types a marker; all converge and every Hocuspocus update is acknowledged.
  async crowd () {
    const n = P.n ?? 4
    const ps = []
    for (let i = 0; i < n; i++) ps.push(hp(i % 2 ? 'a' : 'b'))
    for (let i = 0; i < n; i++) ps.push(yws(i % 2 ? 'a' : 'b'))
    await until(() => 'all synced: ' + ps.map(p => p.synced).join(','), () => ps.every(p => p.synced))
    ps.forEach((p, i) => (p.document ?? p.doc).getText('t').insert(0, 'c' + i + ' '))
    const all = t => ps.every((q, j) => t.includes('c' + j + ' '))
    await until('convergence of ' + ps.length + ' providers', () => ps.every(p => text(p) === text(ps[0]) && all(text(p))))
    await until('every Hocuspocus update acknowledged', () => ps.slice(0, n).every(p => !p.hasUnsyncedChanges))
    const result = { text: text(ps[0]) }
    ps.forEach(p => p.destroy())
    result.late = await serverText()
    return result
  },
  // A Hocuspocus and a y-websocket client edit concurrently (and a Ponte client, driven by the
  // test, writes P.expect meanwhile); everyone converges on every edit.
  async converge () {
    const h = hp('a')
    const w = yws('b')
    await until(() => `both synced (Hocuspocus: synced ${h.synced}, scope ${h.seen.scope}, refused ${h.seen.failed}; ` +
      `y-websocket: synced ${w.synced}, connected ${w.wsconnected})`, () => h.synced && w.synced)
    for (let i = 0; i < 20; i++) {
      h.document.getText('t').insert(0, 'h' + i + ' ')
      w.doc.getText('t').insert(w.doc.getText('t').length, 'w😀' + i + ' ')
      if (i % 5 === 0) await sleep(5)
    }
    const done = t => t.includes('h19 ') && t.includes('w😀19 ') && (!P.expect || t.includes(P.expect))
    await until('convergence', () => text(h) === text(w) && done(text(h)))
    await until('every Hocuspocus update acknowledged (SyncStatus)', () => !h.hasUnsyncedChanges)
    const result = { h: text(h), w: text(w), scope: h.seen.scope }
    h.destroy()
    w.destroy()
    result.late = await serverText()
    return result
  },
  // Two documents over one socket: each gets its own edits only.
  async twoDocs () {
    const s = socket()
    const a = hp('a', `${P.room}/${P.doc}`, s)
    const b = hp('a', `${P.room}/${P.doc2}`, s)
    await Promise.all([synced(a), synced(b)])
    a.document.getText('t').insert(0, 'in ' + P.doc)
    b.document.getText('t').insert(0, 'in ' + P.doc2)
    await until('both acknowledged', () => !a.hasUnsyncedChanges && !b.hasUnsyncedChanges)
    const sockets = new Set([a.configuration.websocketProvider, b.configuration.websocketProvider]).size
    const result = { sockets, first: await serverText(`${P.room}/${P.doc}`), second: await serverText(`${P.room}/${P.doc2}`) }
    // and a y-websocket client of the second document sees the same
    const w = yws('b', P.doc2)
    await until('y-websocket sync', () => w.synced)
    result.secondYws = text(w)
    return result
  },
  // Writes text and waits until it is acknowledged and a fresh client sees it.
  async write () {
    const h = hp('a')
    await synced(h)
    h.document.getText('t').insert(h.document.getText('t').length, P.text)
    await until('acknowledged', () => !h.hasUnsyncedChanges)
    let seen = ''
    const start = Date.now()
    while (!seen.includes(P.text)) {
      if (Date.now() - start > TIMEOUT) throw new Error('a fresh client never saw the text')
      seen = await serverText()
    }
    return { text: seen }
  },
  async read () {
    return { text: await serverText() }
  },
  // A read-only user's change is refused and the server's document is unchanged.
  async readonly () {
    const before = await serverText()
    const r = hp('ro')
    await synced(r)
    r.document.getText('t').insert(0, 'SHOULD-NOT-BE-STORED ')
    await until('the refusal', () => r.seen.errors.length > 0)
    const w = hp('a')
    await synced(w)
    w.document.getText('t').insert(w.document.getText('t').length, ' marker')
    await until('the marker at the read-only client', () => text(r).includes('marker'))
    const result = { scope: r.seen.scope, errors: r.seen.errors, unsynced: r.hasUnsyncedChanges }
    w.destroy()
    r.destroy()
    return { ...result, before, after: await serverText() }
  },
  // h's socket goes offline, h and a y-websocket client both edit, h's socket comes back: all
  // converge with every edit (and the offline deletion), and the server keeps them all.
  async offline () {
    const s = socket()
    const h = hp('a', `${P.room}/${P.doc}`, s)
    const w = yws('b')
    await until('both synced', () => h.synced && w.synced)
    h.document.getText('t').insert(0, 'shared ')
    await until('w to see the shared text', () => text(w).includes('shared'))
    s.disconnect()
    await until('h to be offline', () => s.status === 'disconnected')
    h.document.getText('t').insert(h.document.getText('t').length, 'offline-h ')
    h.document.getText('t').delete(0, 1) // and a deletion
    w.doc.getText('t').insert(w.doc.getText('t').length, 'online-w ')
    await sleep(300)
    if (text(w).includes('offline-h')) throw new Error('w saw an offline edit')
    if (text(h).includes('online-w')) throw new Error('h saw an online edit while offline')
    s.connect()
    await until('convergence after reconnect',
      () => text(h) === text(w) && text(h).includes('offline-h') && text(h).includes('online-w'))
    await until('the offline edits acknowledged', () => !h.hasUnsyncedChanges)
    const result = { h: text(h), w: text(w) }
    h.destroy()
    w.destroy()
    result.late = await serverText()
    return result
  },
  // h's awareness reaches a y-websocket client and another Hocuspocus client (one connecting
  // later gets it on connect), and disappears at both when h's socket dies without a goodbye.
  async awareness () {
    const s = socket()
    const h = hp('a', `${P.room}/${P.doc}`, s)
    const w = yws('b')
    await until('both synced', () => h.synced && w.synced)
    const id = h.document.clientID
    h.setAwarenessField('user', { name: 'Ana', color: '#f00' })
    await until('w to see h', () => w.awareness.getStates().get(id)?.user?.name === 'Ana')
    const h2 = hp('b')
    await until('a later Hocuspocus client to see h', () => h2.awareness.getStates().get(id)?.user?.name === 'Ana')
    const appeared = true
    s.shouldConnect = false
    s.webSocket.terminate()
    await until('w to see h disappear', () => !w.awareness.getStates().has(id))
    await until('the other Hocuspocus client to see h disappear', () => !h2.awareness.getStates().has(id))
    return { appeared, disappeared: true }
  },
  // Tokens and names that are refused: PermissionDenied (authenticationFailed) with a reason.
  async denied () {
    const out = {}
    for (const [label, tokenName, name] of P.cases) {
      const p = hp(tokenName, name)
      await until('authentication result for ' + label, () => p.seen.failed.length > 0 || p.seen.scope)
      out[label] = p.seen.failed[0] ?? 'authenticated:' + p.seen.scope
      out[label + 'Synced'] = p.synced
      p.destroy()
    }
    return out
  }
}

const timer = setTimeout(() => { process.stderr.write('scenario timed out\n'); process.exit(3) }, 60000)
try {
  const result = await scenarios[scenario]()
  log(JSON.stringify(result))
  clearTimeout(timer)
  for (const c of cleanup) { try { c() } catch (e) { } }
  process.exit(0)
} catch (e) {
  process.stderr.write('scenario ' + scenario + ' failed: ' + (e.stack || e) + '\n')
  process.exit(2)
}
