// Cases for the server's revert of one participant's edits (io.ponte.yjs.YRevert), made with the real yjs.
//
// Three peers A, B, C edit one Y.Text ('text') and the Y.XmlText inside Tiptap-like paragraphs of a
// Y.XmlFragment ('xml'). Phase 1: everyone edits, all synced ("since" is after it). Phase 2: A and B
// edit together while C edits offline (inserts, deletes of anyone's text, formats, a new paragraph);
// then everyone syncs. Phase 3: A and B put markers into the text, also next to C's text. The server
// log lists every update in the order a server would apply them (A's and B's phase 2 before C's).
// The expected text is that of a document holding phase 1 and A's and B's phase 2 only.
import * as Y from 'yjs'

const b64 = u8 => Buffer.from(u8).toString('base64')
const unb64 = s => new Uint8Array(Buffer.from(s, 'base64'))

const PIECES = ['a', 'b', 'hello', ' ', 'ä', '中文', '😀', 'x😀y', 'Grüße', '🙂🙃', 'q']

const prng = seed => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = (rnd, arr) => arr[Math.floor(rnd() * arr.length)]
const str = rnd => {
  let s = ''
  const n = 1 + Math.floor(rnd() * 3)
  for (let i = 0; i < n; i++) s += pick(rnd, PIECES)
  return s
}

// a position in a string of UTF-16 units that does not split a surrogate pair
const safePos = (s, i) => (i > 0 && i < s.length && s.charCodeAt(i) >= 0xDC00 && s.charCodeAt(i) <= 0xDFFF) ? i - 1 : i

// the XmlTexts of the paragraphs present since phase 1
const paragraphTexts = doc => doc.getXmlFragment('xml').toArray()
  .filter(el => el instanceof Y.XmlElement && el.length > 0 && el.get(0) instanceof Y.XmlText)
  .map(el => el.get(0))

// the text of a Y.Text or XmlText without format tags (positions count UTF-16 units)
const plain = t => t.toDelta().map(op => typeof op.insert === 'string' ? op.insert : ' ').join('')

const edit = (rnd, doc, who, phase) => {
  if (rnd() < 0.15) {
    // a Y.Array of values (ContentAny)
    const arr = doc.getArray('arr')
    if (rnd() < 0.6 || arr.length === 0) {
      arr.insert(Math.floor(rnd() * (arr.length + 1)), [who + Math.floor(rnd() * 100), { n: Math.floor(rnd() * 9) }])
    } else {
      const i = Math.floor(rnd() * arr.length)
      arr.delete(i, Math.min(arr.length - i, 1 + Math.floor(rnd() * 3)))
    }
    return
  }
  const targets = [doc.getText('text'), ...paragraphTexts(doc).slice(0, 2)]
  const t = pick(rnd, targets)
  const s = plain(t)
  const r = rnd()
  if (r < 0.5 || s.length === 0) {
    const attrs = who === 'C' && rnd() < 0.3 ? { bold: true } : undefined
    t.insert(safePos(s, Math.floor(rnd() * (s.length + 1))), str(rnd), attrs)
  } else if (r < 0.85) {
    const i = safePos(s, Math.floor(rnd() * s.length))
    const len = safePos(s, Math.min(s.length, i + 1 + Math.floor(rnd() * 6))) - i
    if (len > 0) t.delete(i, len)
  } else if (who === 'C' && phase === 2 && r < 0.92) {
    const i = safePos(s, Math.floor(rnd() * s.length))
    const len = safePos(s, Math.min(s.length, i + 1 + Math.floor(rnd() * 4))) - i
    if (len > 0) t.format(i, len, { italic: true })
  } else if (who === 'C' && phase === 2 && r < 0.96) {
    // a whole paragraph goes (with what A and B write into it meanwhile)
    const x = doc.getXmlFragment('xml')
    if (x.length > 0) x.delete(Math.floor(rnd() * x.length), 1)
  } else if (who === 'C' && phase === 2) {
    const x = doc.getXmlFragment('xml')
    const p = new Y.XmlElement('paragraph')
    x.insert(x.length, [p])
    p.insert(0, [new Y.XmlText(str(rnd))])
  } else {
    t.insert(safePos(s, Math.floor(rnd() * (s.length + 1))), str(rnd))
  }
}

export const generateRevertCase = seed => {
  const rnd = prng(seed * 7919 + 13)
  const peers = {}
  const log = []
  const cLog = []
  let cOffline = false
  const base = 1 + Math.floor(rnd() * 1e9)
  for (const [i, who] of ['A', 'B', 'C'].entries()) {
    const doc = new Y.Doc()
    doc.clientID = base + i * 1000 + Math.floor(rnd() * 999)
    doc.on('update', (u, origin) => {
      if (origin !== 'remote') (who === 'C' && cOffline ? cLog : log).push({ author: who, update: b64(u) })
    })
    peers[who] = doc
  }
  const sync = (from, to) => Y.applyUpdate(peers[to], Y.encodeStateAsUpdate(peers[from], Y.encodeStateVector(peers[to])), 'remote')
  const syncAll = () => {
    for (const a of ['A', 'B', 'C']) for (const b of ['A', 'B', 'C']) if (a !== b) sync(a, b)
  }

  // phase 1: a text and two paragraphs everybody writes into
  peers.A.getText('text').insert(0, 'Start ' + str(rnd))
  const x = peers.A.getXmlFragment('xml')
  for (let i = 0; i < 2; i++) {
    const p = new Y.XmlElement('paragraph')
    x.insert(x.length, [p])
    p.insert(0, [new Y.XmlText('P' + i + ' ' + str(rnd))])
  }
  syncAll()
  for (let round = 0; round < 4; round++) {
    for (const who of ['A', 'B', 'C']) edit(rnd, peers[who], who, 1)
    syncAll()
  }
  const sinceIndex = log.length
  const cSince = Y.getState(peers.C.store, peers.C.clientID)

  // phase 2: A and B together, C offline; the server gets A's and B's updates first
  const n = 3 + Math.floor(rnd() * 8)
  const off = peers.C
  cOffline = true
  for (let i = 0; i < n; i++) {
    edit(rnd, peers.A, 'A', 2)
    sync('A', 'B')
    edit(rnd, peers.B, 'B', 2)
    sync('B', 'A')
    edit(rnd, off, 'C', 2)
  }
  const expected = new Y.Doc()
  for (const e of log) Y.applyUpdate(expected, unb64(e.update))
  log.push(...cLog)
  cOffline = false
  syncAll()

  // phase 3: markers written after seeing C's text (possibly right next to it)
  const mt = peers.A.getText('text')
  const ms = plain(mt)
  mt.insert(safePos(ms, Math.floor(rnd() * (ms.length + 1))), '<A>')
  // into a paragraph of phase 1 that is still there (C's new ones go with the revert)
  const pt = paragraphTexts(peers.B).find(t => t.parent._item.id.client === peers.A.clientID)
  if (pt) {
    const ps = plain(pt)
    pt.insert(safePos(ps, Math.floor(rnd() * (ps.length + 1))), '<B>')
  }
  syncAll()

  return {
    seed,
    updates: log,
    sinceIndex,
    client: peers.C.clientID,
    sinceClock: cSince,
    bMarker: pt !== undefined,
    expectedText: expected.getText('text').toString(),
    expectedXml: expected.getXmlFragment('xml').toString(),
    expectedArr: JSON.stringify(expected.getArray('arr').toJSON()),
    actualText: peers.A.getText('text').toString(),
    actualXml: peers.A.getXmlFragment('xml').toString()
  }
}

// applies every update, then the inverse (in two orders), and reports both documents' text
export const checkRevert = ({ updates, inverse }) => {
  const after = new Y.Doc()
  for (const u of updates) Y.applyUpdate(after, unb64(u))
  Y.applyUpdate(after, unb64(inverse))
  const first = new Y.Doc()
  Y.applyUpdate(first, unb64(inverse))
  for (const u of [...updates].reverse()) Y.applyUpdate(first, unb64(u))
  const pending = first.store.pendingStructs !== null || after.store.pendingStructs !== null
  return {
    text: after.getText('text').toString(),
    xml: after.getXmlFragment('xml').toString(),
    arr: JSON.stringify(after.getArray('arr').toJSON()),
    otherOrderText: first.getText('text').toString(),
    otherOrderXml: first.getXmlFragment('xml').toString(),
    pending
  }
}
