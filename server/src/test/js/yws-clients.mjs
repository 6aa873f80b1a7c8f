// Real y-websocket clients (yjs + y-websocket's WebsocketProvider in Node, `ws` as the WebSocket)
// against a Ponte server's y-websocket-compatible endpoint /yjs/{room}/{doc}.
//
//   node yws-clients.mjs <scenario> '<json params>'
//
// params: { base: "ws://127.0.0.1:<port>/yjs/<room>", doc, tokens: { name: jwt, ... }, ... }
// Prints one JSON line with the scenario's result on stdout; exits non-zero on failure/timeout.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as fs from 'fs'

const log = console.log
const warnings = []
console.log = console.info = console.error = (...a) => process.stderr.write(a.join(' ') + '\n')
console.warn = (...a) => { warnings.push(a.join(' ')); process.stderr.write(a.join(' ') + '\n') }

const [scenario, json] = process.argv.slice(2)
const P = JSON.parse(json)
const TIMEOUT = 15000

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const until = async (what, predicate, timeout = TIMEOUT) => {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeout) throw new Error('timed out waiting for ' + what)
    await sleep(20)
  }
}

const providers = []
const provider = (tokenName, doc = new Y.Doc(), opts = {}) => {
  const p = new WebsocketProvider(P.base, P.doc, doc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    params: { token: P.tokens[tokenName] },
    maxBackoffTime: 300,
    ...opts
  })
  providers.push(p)
  return p
}
const synced = p => until('sync of ' + p.url.replace(/token=[^&]*/, 'token=…'), () => p.synced)
const text = p => p.doc.getText('t').toString()

/** A fresh client's view of the server's document. */
const serverText = async (tokenName = 'reader') => {
  const p = provider(tokenName)
  await synced(p)
  const t = text(p)
  p.destroy()
  return t
}

/** Raw y-protocols socket. */
const raw = (tokenName, doc = P.doc) => new Promise((resolve, reject) => {
  const ws = new WebSocket(`${P.base}/${doc}?token=${encodeURIComponent(P.tokens[tokenName] ?? '')}`)
  ws.binaryType = 'arraybuffer'
  const messages = []
  ws.on('message', data => messages.push(new Uint8Array(data)))
  ws.on('open', () => resolve({ ws, messages }))
  ws.on('unexpected-response', (req, res) => resolve({ status: res.statusCode }))
  ws.on('error', reject)
})
/**
 * How a socket ends: refused with an HTTP status before the upgrade ({ status }), closed right
 * after it ({ status: 101, code, reason }), or served: the server's sync step 1 arrives
 * ({ status: 101, code: 0 }).
 */
const outcome = (tokenName, doc = P.doc) => new Promise((resolve, reject) => {
  const ws = new WebSocket(`${P.base}/${doc}?token=${encodeURIComponent(P.tokens[tokenName] ?? '')}`)
  ws.on('unexpected-response', (req, res) => resolve({ status: res.statusCode }))
  ws.on('message', () => { resolve({ status: 101, code: 0 }); ws.close() })
  ws.on('close', (code, reason) => resolve({ status: 101, code, reason: reason.toString() }))
  ws.on('error', reject)
})
const denials = messages => messages.map(m => decoding.createDecoder(m))
  .filter(d => decoding.readVarUint(d) === 2 && decoding.readVarUint(d) === 0)
  .map(d => decoding.readVarString(d))
const updateFrame = update => {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0)
  encoding.writeVarUint(e, 2)
  encoding.writeVarUint8Array(e, update)
  return encoding.toUint8Array(e)
}

/** Signals between this script and the Java test driving it: empty files in P.dir. */
const signal = name => fs.writeFileSync(P.dir + '/' + name, '')
const waitFile = (name, timeout) => until('the signal ' + name, () => fs.existsSync(P.dir + '/' + name), timeout)

const scenarios = {
  // Two providers edit; the test holds the server's store writes (signal 'held') and the
  // providers edit again until each holds both edits (delivered, not stored); the test kills the
  // node and restarts it (signal 'restarted'); the providers reconnect on their own and resync,
  // and a fresh client then finds every edit they hold.
  async crash () {
    const a = provider('a')
    const b = provider('b')
    await Promise.all([synced(a), synced(b)])
    a.doc.getText('t').insert(0, 'before ')
    await until('b to see before', () => text(b).includes('before'))
    signal('before')
    await waitFile('held', 30000)
    a.doc.getText('t').insert(text(a).length, 'during-a ')
    b.doc.getText('t').insert(0, 'during-b ')
    const has = t => t.includes('before') && t.includes('during-a') && t.includes('during-b')
    const both = p => has(text(p))
    await until('both providers to hold both edits', () => both(a) && both(b))
    signal('delivered')
    await waitFile('restarted', 90000)
    await until('both providers to reconnect and resync', () => a.wsconnected && b.wsconnected && a.synced && b.synced, 60000)
    let seen = ''
    const start = Date.now()
    while (!has(seen)) {
      if (Date.now() - start > 30000) throw new Error('the server never got every edit back: ' + seen)
      await sleep(100)
      seen = await serverText()
    }
    return { a: text(a), b: text(b), server: seen, state: Buffer.from(Y.encodeStateAsUpdate(a.doc)).toString('base64') }
  },
  // P.n providers open one document at the same moment (it may not exist yet: the server creates
  // it on open), each types a marker, and all converge on every marker.
  async crowd () {
    const n = P.n ?? 8
    const ps = []
    for (let i = 0; i < n; i++) ps.push(provider(i % 2 ? 'a' : 'b'))
    await Promise.all(ps.map(synced))
    ps.forEach((p, i) => p.doc.getText('t').insert(0, 'c' + i + ' '))
    const all = t => ps.every((q, j) => t.includes('c' + j + ' '))
    await until('convergence of ' + n + ' providers', () => ps.every(p => text(p) === text(ps[0]) && all(text(p))))
    const result = { text: text(ps[0]) }
    ps.forEach(p => p.destroy())
    result.late = await serverText()
    return result
  },
  // Two providers edit concurrently and converge.
  async converge () {
    const a = provider('a')
    const b = provider('b')
    await Promise.all([synced(a), synced(b)])
    for (let i = 0; i < 20; i++) {
      a.doc.getText('t').insert(0, 'a' + i + ' ')
      b.doc.getText('t').insert(b.doc.getText('t').length, 'b😀' + i + ' ')
      if (i % 5 === 0) await sleep(5)
    }
    await until('convergence', () => text(a) === text(b) && text(a).includes('a19') && text(a).includes('b😀19'))
    const result = { a: text(a), b: text(b) }
    a.destroy()
    b.destroy()
    result.late = await serverText()
    return result
  },
  // Writes text, waits until a fresh client sees it, leaves.
  async write () {
    const a = provider('a')
    await synced(a)
    a.doc.getText('t').insert(a.doc.getText('t').length, P.text)
    let seen = ''
    const start = Date.now()
    while (!seen.includes(P.text)) {
      if (Date.now() - start > TIMEOUT) throw new Error('a fresh client never saw the text')
      seen = await serverText()
    }
    a.destroy()
    return { text: seen }
  },
  // A fresh client reads the document.
  async read () {
    return { text: await serverText() }
  },
  // a goes offline, both edit, a comes back: both converge with every edit.
  async offline () {
    const a = provider('a')
    const b = provider('b')
    await Promise.all([synced(a), synced(b)])
    a.doc.getText('t').insert(0, 'shared ')
    await until('b to see the shared text', () => text(b).includes('shared'))
    a.disconnect()
    await until('a to be offline', () => !a.wsconnected)
    a.doc.getText('t').insert(a.doc.getText('t').length, 'offline-a ')
    a.doc.getText('t').delete(0, 1) // and a deletion
    b.doc.getText('t').insert(b.doc.getText('t').length, 'online-b ')
    await sleep(200)
    if (text(b).includes('offline-a')) throw new Error('b saw an offline edit')
    a.connect()
    await until('convergence after reconnect',
      () => text(a) === text(b) && text(a).includes('offline-a') && text(a).includes('online-b'))
    const result = { a: text(a), b: text(b) }
    a.destroy()
    b.destroy()
    result.late = await serverText()
    return result
  },
  // Awareness of a appears at b, and disappears when a's socket dies (the server removes it).
  async awareness () {
    const a = provider('a')
    const b = provider('b')
    await Promise.all([synced(a), synced(b)])
    a.awareness.setLocalStateField('user', { name: 'Ana', color: '#f00' })
    await until('b to see a', () => b.awareness.getStates().get(a.doc.clientID)?.user?.name === 'Ana')
    // a newcomer gets the current awareness on connect
    const c = provider('b')
    await until('c to see a', () => c.awareness.getStates().get(a.doc.clientID)?.user?.name === 'Ana')
    const appeared = true
    // kill a's socket without any goodbye from the client
    a.shouldConnect = false
    a.ws.terminate()
    await until('b to see a disappear', () => !b.awareness.getStates().has(a.doc.clientID))
    await until('c to see a disappear', () => !c.awareness.getStates().has(a.doc.clientID))
    b.destroy()
    c.destroy()
    a.destroy()
    return { appeared, disappeared: true }
  },
  // A read-only user's change is refused: permission-denied, and the server's doc is unchanged.
  async readonly () {
    const before = await serverText()
    const r = provider('ro')
    await synced(r)
    r.doc.getText('t').insert(0, 'SHOULD-NOT-BE-STORED ')
    await until('permission denied', () => warnings.some(w => w.includes('Permission denied')))
    // another writer's change still arrives to everyone, so the server has processed ours before
    const w = provider('a')
    await synced(w)
    w.doc.getText('t').insert(w.doc.getText('t').length, ' marker')
    await until('the marker at the read-only client', () => text(r).includes('marker'))
    w.destroy()
    r.destroy()
    const after = await serverText()
    return { before, after, denied: warnings.filter(w => w.includes('Permission denied')) }
  },
  // Tokens and names that are refused: closed right after the upgrade with a 44xx code, and a
  // provider refused so gives up after one socket instead of reconnecting for ever.
  async refused () {
    const out = {}
    for (const [name, tokenName, doc] of P.cases) {
      out[name] = await outcome(tokenName, doc)
    }
    let attempts = 0
    class CountingWebSocket extends WebSocket {
      constructor (...args) {
        super(...args)
        attempts++
      }
    }
    const p = provider('bad', new Y.Doc(), { WebSocketPolyfill: CountingWebSocket })
    let closed = null
    p.on('closed', e => { closed = e })
    await until('the provider with a bad token to give up', () => closed !== null, 20000)
    await sleep(3000) // a provider that retried would have opened several sockets by now
    out.provider = { attempts, code: closed.code, reason: closed.reason, synced: p.synced }
    p.destroy()
    return out
  },
  // One update just under the document update limit (P.limit) through the provider reaches
  // another client; one over it, in one frame, is denied and leaves the document unchanged.
  async large () {
    const before = await serverText()
    const a = provider('a')
    const b = provider('b')
    await Promise.all([synced(a), synced(b)])
    const sizes = []
    a.doc.on('update', u => sizes.push(u.length))
    const under = 'L'.repeat(P.limit - 64)
    a.doc.getText('t').insert(text(a).length, under)
    await until('the large update at b', () => text(b).length === before.length + under.length, 40000)
    const underAtB = text(b) === before + under
    a.destroy()
    b.destroy()
    const { ws, messages } = await raw('a')
    const big = new Y.Doc()
    big.getText('t').insert(0, 'O'.repeat(P.limit + 16))
    const over = Y.encodeStateAsUpdate(big)
    ws.send(updateFrame(over))
    await until('oversize denial', () => denials(messages).length >= 1, 40000)
    const openAfterDenial = ws.readyState === WebSocket.OPEN
    ws.close()
    const after = await serverText()
    return {
      underSize: sizes[0], underAtB, overSize: over.length, denials: denials(messages), openAfterDenial,
      afterIsBeforeAndUnder: after === before + under, afterHasOver: after.includes('OOOO')
    }
  },
  // Providers the server refuses for good after the upgrade (P.try: token names): each must
  // stop reconnecting. Counts the sockets each opens until a while after its 'closed' event.
  async giveUp () {
    const out = {}
    for (const tokenName of P.try) {
      let attempts = 0
      class CountingWebSocket extends WebSocket {
        constructor (...args) {
          super(...args)
          attempts++
        }
      }
      const p = provider(tokenName, new Y.Doc(), { WebSocketPolyfill: CountingWebSocket })
      const closes = []
      let closed = null
      p.on('connection-close', e => { if (e) closes.push(e.code) })
      p.on('closed', e => { closed = e })
      await until('the provider of ' + tokenName + ' to give up', () => closed !== null, 20000)
      await sleep(3000) // a provider that retried would have opened several sockets by now
      out[tokenName] = { attempts, code: closed.code, reason: closed.reason, closes, synced: p.synced }
      p.destroy()
    }
    return out
  },
  // Malformed / oversize / unknown-document updates over the raw protocol.
  async badinput () {
    const before = await serverText()
    const { ws, messages } = await raw('a')
    ws.send(updateFrame(new Uint8Array([1, 1, 9, 0, 4, 1])))
    await until('malformed denial', () => denials(messages).length >= 1)
    const big = new Y.Doc()
    big.getText('t').insert(0, 'x'.repeat(P.oversize))
    ws.send(updateFrame(Y.encodeStateAsUpdate(big)))
    await until('oversize denial', () => denials(messages).length >= 2)
    ws.close()
    const unknown = await outcome('ro', 'no-such-doc') // an observer may not create it
    const after = await serverText()
    return { before, after, denials: denials(messages), unknownDoc: unknown }
  }
}

const timer = setTimeout(() => { process.stderr.write('scenario timed out\n'); process.exit(3) }, P.scriptTimeoutMs ?? 60000)
try {
  const result = await scenarios[scenario]()
  log(JSON.stringify(result))
  clearTimeout(timer)
  for (const p of providers) p.destroy()
  process.exit(0)
} catch (e) {
  process.stderr.write('scenario ' + scenario + ' failed: ' + (e.stack || e) + '\n')
  process.exit(2)
}
