// Real Yjs clients for DocRevertIT: Ana and Carl on y-websocket, Bo on @hocuspocus/provider (yjs in
// Node, `ws` as the WebSocket), editing the root Y.Text "t" of one document while a teacher (the
// Java test, over the Ponte protocol) reverts Carl.
//
//   node revert-clients.mjs revert '<json params>'
//
// params: { yws: "ws://127.0.0.1:<port>/yjs/<room>", url: "ws://127.0.0.1:<port>/hocuspocus",
//           yws2/url2 (optional: where Bo and the late reader connect), room, doc,
//           tokens: { a, b, c, reader }, dir (signal files) }
// Prints one JSON line with the result on stdout; exits non-zero on failure/timeout.
import * as Y from 'yjs'
import { HocuspocusProvider } from '@hocuspocus/provider'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import * as fs from 'fs'

const log = console.log
console.log = console.info = console.warn = console.error = (...a) => process.stderr.write(a.join(' ') + '\n')

const [scenario, json] = process.argv.slice(2)
const P = JSON.parse(json)
const TIMEOUT = 20000

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const until = async (what, predicate, timeout = TIMEOUT) => {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeout) throw new Error('timed out waiting for ' + (typeof what === 'function' ? what() : what))
    await sleep(20)
  }
}

const cleanup = []
const yws = (tokenName, base = P.yws) => {
  const p = new WebsocketProvider(base, P.doc, new Y.Doc(), {
    WebSocketPolyfill: WebSocket, disableBc: true, params: { token: P.tokens[tokenName] }, maxBackoffTime: 300
  })
  cleanup.push(() => p.destroy())
  return p
}
const hp = (tokenName, url = P.url) => {
  const p = new HocuspocusProvider({
    name: `${P.room}/${P.doc}`, token: P.tokens[tokenName], document: new Y.Doc(), url, WebSocketPolyfill: WebSocket
  })
  cleanup.push(() => p.destroy())
  return p
}
const doc = p => p.document ?? p.doc
const text = p => doc(p).getText('t').toString()
const synced = p => until('sync', () => p.synced)
const xml = p => doc(p).getXmlFragment('x').toString()

const signal = (name, content = '') => fs.writeFileSync(P.dir + '/' + name, content)
const waitFile = (name, timeout) => until('the signal ' + name, () => fs.existsSync(P.dir + '/' + name), timeout)

const scenarios = {
  // Ana, Bo and Carl write (phase 1), then after `since` Carl writes into Ana's word and deletes Bo's
  // word, Ana writes right after Carl's new text and Bo appends. The test reverts Carl since then:
  // every provider must end with the text without exactly Carl's later edits (Bo's word back), and
  // keep working.
  async revert () {
    const a = yws('a')
    const b = hp('b', P.url2 ?? P.url)
    const c = yws('c')
    const all = [a, b, c]
    await Promise.all(all.map(synced))
    const converged = expected => all.every(p => text(p) === expected)
    const step = async (p, f, expected) => {
      f(doc(p).getText('t'))
      await until(() => 'everyone to read "' + expected + '": ' + all.map(text).join(' | '), () => converged(expected))
    }
    await step(a, t => t.insert(0, 'Ana1 '), 'Ana1 ')
    await step(b, t => t.insert(t.length, 'Bo1 '), 'Ana1 Bo1 ')
    await step(c, t => t.insert(t.length, 'Carl1 '), 'Ana1 Bo1 Carl1 ')
    // a Tiptap-like fragment: two paragraphs by Ana
    const frag = doc(a).getXmlFragment('x')
    for (const words of ['First words', 'Second words']) {
      const para = new Y.XmlElement('paragraph')
      frag.insert(frag.length, [para])
      para.setAttribute('align', 'left')
      para.insert(0, [new Y.XmlText(words)])
    }
    const xml1 = '<paragraph align="left">First words</paragraph><paragraph align="left">Second words</paragraph>'
    await until(() => 'the paragraphs everywhere: ' + all.map(xml).join(' | '), () => all.every(p => xml(p) === xml1))
    // server times are whole milliseconds of the same clock; the history is exact to the second
    await sleep(1500)
    const since = Date.now()
    await sleep(1500)
    await step(c, t => t.insert(2, 'Carl2 '), 'AnCarl2 a1 Bo1 Carl1 ')
    await step(c, t => t.delete(t.toString().indexOf('Bo1 '), 4), 'AnCarl2 a1 Carl1 ')
    await step(a, t => t.insert(8, 'Ana2 '), 'AnCarl2 Ana2 a1 Carl1 ')
    await step(b, t => t.insert(t.length, 'Bo2 '), 'AnCarl2 Ana2 a1 Carl1 Bo2 ')
    // Carl deletes Ana's first paragraph whole, and Bo writes into the second one
    doc(c).getXmlFragment('x').delete(0, 1)
    await until('the paragraph gone everywhere', () => all.every(p => doc(p).getXmlFragment('x').length === 1))
    doc(b).getXmlFragment('x').get(0).get(0).insert(0, 'Bo: ')
    const xml2 = '<paragraph align="left">Bo: Second words</paragraph>'
    await until(() => 'Bo\'s words everywhere: ' + all.map(xml).join(' | '), () => all.every(p => xml(p) === xml2))
    const before = text(a)
    signal('edited', String(since))
    await waitFile('reverted', 120000)
    const expected = 'AnAna2 a1 Bo1 Carl1 Bo2 '
    await until(() => 'every provider to apply the revert: ' + all.map(text).join(' | '), () => converged(expected), 60000)
    const xml3 = '<paragraph align="left">First words</paragraph><paragraph align="left">Bo: Second words</paragraph>'
    await until(() => 'the paragraph back everywhere: ' + all.map(xml).join(' | '), () => all.every(p => xml(p) === xml3))
    // and everyone keeps editing: Carl too (his new text is not reverted by the past revert)
    await step(c, t => t.insert(t.length, 'Carl3 '), expected + 'Carl3 ')
    await step(a, t => t.insert(0, 'after '), 'after ' + expected + 'Carl3 ')
    const reader = yws('reader', P.yws2 ?? P.yws)
    await synced(reader)
    await until('the late reader to have it all', () => text(reader) === text(a))
    await until('the late reader to have the paragraphs', () => xml(reader) === xml3)
    return { before, a: text(a), b: text(b), c: text(c), late: text(reader), xml: xml(reader) }
  }
}

const timer = setTimeout(() => { process.stderr.write('scenario timed out\n'); process.exit(3) }, P.scriptTimeoutMs ?? 150000)
try {
  const result = await scenarios[scenario]()
  log(JSON.stringify(result))
  clearTimeout(timer)
  for (const f of cleanup) f()
  process.exit(0)
} catch (e) {
  process.stderr.write('scenario ' + scenario + ' failed: ' + (e.stack || e) + '\n')
  process.exit(2)
}
