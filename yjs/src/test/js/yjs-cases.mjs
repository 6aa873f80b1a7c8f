// Golden cases for the Java Yjs update engine (io.ponte.yjs), made with the real yjs.
//
//   node yjs-cases.mjs generate <seed> <count>   prints cases as JSON on stdout
//   node yjs-cases.mjs compare < checks.json     applies update sequences to fresh Y.Docs, prints results
//
// A case: several clients edit Y.Text / Y.Map / Y.Array / Y.XmlFragment concurrently (emoji and other
// surrogate pairs, deletions, formats, embeds, attributes, nested types, binary, sub-documents),
// sync partially and out of order, go offline. It lists the individual updates and what yjs answers
// for mergeUpdates, encodeStateVectorFromUpdate and diffUpdate on them.
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { generateRevertCase, checkRevert } from './revert-cases.mjs'

// yjs may log on stdout; keep stdout for the JSON answer only
console.log = console.warn = console.info = console.error

const b64 = u8 => Buffer.from(u8).toString('base64')
const unb64 = s => new Uint8Array(Buffer.from(s, 'base64'))

// mulberry32: a small seeded PRNG so cases are reproducible from their seed
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

const ROOTS = { text: 'Text', map: 'Map', arr: 'Array', xml: 'XmlFragment' }

const getRoot = (doc, name, kind) => {
  switch (kind) {
    case 'Text': return doc.getText(name)
    case 'Map': return doc.getMap(name)
    case 'Array': return doc.getArray(name)
    case 'XmlFragment': return doc.getXmlFragment(name)
    default: throw new Error('unknown root kind ' + kind)
  }
}

const PIECES = ['a', 'b', 'c', 'hello', ' ', 'ä', 'ß', '€', '中文', 'ё', '😀', '👍🏽', '🇫🇷', '𝄞', '👨‍👩‍👧', 'x😀y', '\n', 'Grüße', '𠜎', '🙂🙃']

const randomString = (rnd, maxPieces = 3) => {
  let s = ''
  const n = 1 + Math.floor(rnd() * maxPieces)
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rnd() * PIECES.length)]
  return s
}

const randomValue = (rnd, depth = 0) => {
  const r = rnd()
  if (r < 0.15) return Math.floor(rnd() * 2000) - 1000
  if (r < 0.25) return rnd() * 1e6
  if (r < 0.4) return randomString(rnd)
  if (r < 0.45) return rnd() < 0.5
  if (r < 0.5) return null
  if (r < 0.55) return 2 ** 40 + Math.floor(rnd() * 1000)
  if (r < 0.65 && depth < 2) return { k: randomValue(rnd, depth + 1), [randomString(rnd, 1)]: [randomValue(rnd, depth + 1)] }
  if (r < 0.72 && depth < 2) return [randomValue(rnd, depth + 1), randomValue(rnd, depth + 1)]
  if (r < 0.8) return new Uint8Array([1, 2, Math.floor(rnd() * 256)])
  return 'v' + Math.floor(rnd() * 100)
}

const FORMATS = [{ bold: true }, { italic: true }, { bold: null }, { color: '#f00' }, { link: 'https://example.org/ä' }]

// one random edit on doc
const randomEdit = (rnd, doc, subdocCounter) => {
  const r = rnd()
  if (r < 0.35) {
    const t = doc.getText('text')
    const op = rnd()
    if (op < 0.55 || t.length === 0) {
      t.insert(Math.floor(rnd() * (t.length + 1)), randomString(rnd), rnd() < 0.2 ? FORMATS[Math.floor(rnd() * FORMATS.length)] : undefined)
    } else if (op < 0.8) {
      const i = Math.floor(rnd() * t.length)
      t.delete(i, 1 + Math.floor(rnd() * Math.min(5, t.length - i)))
    } else if (op < 0.92) {
      const i = Math.floor(rnd() * t.length)
      t.format(i, 1 + Math.floor(rnd() * Math.min(6, t.length - i)), FORMATS[Math.floor(rnd() * FORMATS.length)])
    } else {
      t.insertEmbed(Math.floor(rnd() * (t.length + 1)), { image: 'img' + Math.floor(rnd() * 10) })
    }
  } else if (r < 0.55) {
    const m = doc.getMap('map')
    const key = 'k' + Math.floor(rnd() * 6)
    const op = rnd()
    if (op < 0.15 && m.size > 0) {
      m.delete(key)
    } else if (op < 0.25) {
      const inner = new Y.Map()
      m.set(key, inner)
      inner.set('n', randomValue(rnd))
    } else if (op < 0.3) {
      const inner = new Y.Text()
      m.set(key, inner)
      inner.insert(0, randomString(rnd))
    } else {
      m.set(key, randomValue(rnd))
    }
  } else if (r < 0.75) {
    const a = doc.getArray('arr')
    const op = rnd()
    if (op < 0.5 || a.length === 0) {
      const n = 1 + Math.floor(rnd() * 3)
      const vals = []
      for (let i = 0; i < n; i++) vals.push(randomValue(rnd))
      a.insert(Math.floor(rnd() * (a.length + 1)), vals)
    } else if (op < 0.8) {
      const i = Math.floor(rnd() * a.length)
      a.delete(i, 1 + Math.floor(rnd() * Math.min(3, a.length - i)))
    } else if (op < 0.9) {
      const inner = new Y.Array()
      a.insert(Math.floor(rnd() * (a.length + 1)), [inner])
      inner.push([randomValue(rnd), randomValue(rnd)])
    } else {
      a.push([new Y.Doc({ guid: 'sub-' + (subdocCounter.n++) + '-' + Math.floor(rnd() * 1e6) })])
    }
  } else {
    const x = doc.getXmlFragment('xml')
    const op = rnd()
    if (op < 0.3 || x.length === 0) {
      const el = new Y.XmlElement(rnd() < 0.5 ? 'p' : 'h1')
      const txt = new Y.XmlText()
      x.insert(Math.floor(rnd() * (x.length + 1)), [el])
      el.setAttribute('lang', rnd() < 0.5 ? 'fr' : 'de')
      el.insert(0, [txt])
      txt.insert(0, randomString(rnd), rnd() < 0.3 ? { bold: true } : undefined)
    } else if (op < 0.4) {
      x.insert(Math.floor(rnd() * (x.length + 1)), [rnd() < 0.7 ? new Y.XmlText(randomString(rnd)) : new Y.XmlHook('hook')])
    } else if (op < 0.55) {
      const i = Math.floor(rnd() * x.length)
      x.delete(i, 1)
    } else {
      const child = x.get(Math.floor(rnd() * x.length))
      if (child instanceof Y.XmlElement) {
        if (rnd() < 0.4) {
          child.setAttribute('class', 'c' + Math.floor(rnd() * 5))
        } else if (rnd() < 0.5 && child.length > 0 && child.get(0) instanceof Y.XmlText) {
          const t = child.get(0)
          if (t.length > 0 && rnd() < 0.5) {
            const i = Math.floor(rnd() * t.length)
            t.format(i, 1 + Math.floor(rnd() * Math.min(4, t.length - i)), { italic: true })
          } else {
            t.insert(Math.floor(rnd() * (t.length + 1)), randomString(rnd))
          }
        } else {
          child.insert(child.length, [new Y.XmlElement('span')])
        }
      } else if (child instanceof Y.XmlText) {
        if (child.length > 0 && rnd() < 0.5) {
          child.delete(Math.floor(rnd() * child.length), 1)
        } else {
          child.insertEmbed(Math.floor(rnd() * (child.length + 1)), { mention: 'u' + Math.floor(rnd() * 3) })
        }
      }
    }
  }
}

// An update with clocks past 2^32 and legacy content (ContentJSON) that no API call makes:
// GC [0, big), then items at clock `big` in 'text' and 'arr'.
const craftBigClockUpdate = (client, big) => {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, 1) // one client
  encoding.writeVarUint(enc, 4) // four structs
  encoding.writeVarUint(enc, client)
  encoding.writeVarUint(enc, 0) // start clock
  encoding.writeUint8(enc, 0) // GC
  encoding.writeVarUint(enc, big)
  encoding.writeUint8(enc, 4) // Item, ContentString, no origins
  encoding.writeVarUint(enc, 1) // parent is a root key
  encoding.writeVarString(enc, 'text')
  encoding.writeVarString(enc, 'big😀')
  encoding.writeUint8(enc, 2) // Item, ContentJSON
  encoding.writeVarUint(enc, 1)
  encoding.writeVarString(enc, 'arr')
  encoding.writeVarUint(enc, 3)
  encoding.writeVarString(enc, '{"legacy":[1,2,{"a":"ä"}]}')
  encoding.writeVarString(enc, 'undefined')
  encoding.writeVarString(enc, '"s"')
  encoding.writeUint8(enc, 1) // Item, ContentDeleted
  encoding.writeVarUint(enc, 1)
  encoding.writeVarString(enc, 'arr')
  encoding.writeVarUint(enc, 2)
  encoding.writeVarUint(enc, 0) // empty delete set
  return encoding.toUint8Array(enc)
}

const shuffle = (rnd, arr) => {
  const a = arr.slice()
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    const t = a[i]; a[i] = a[j]; a[j] = t
  }
  return a
}

const CLIENT_IDS = [1, 2, 3, 7, 100, 1000, 123456, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 5, 2 ** 32 - 1, 3000000000]

const generateCase = (seed) => {
  const rnd = prng(seed)
  const nClients = 2 + Math.floor(rnd() * 3)
  const ids = shuffle(rnd, CLIENT_IDS).slice(0, nClients)
  const docs = ids.map(id => {
    const d = new Y.Doc({ gc: rnd() < 0.8 })
    d.clientID = id
    return d
  })
  const log = [] // all updates made by transactions, in creation order
  const pending = docs.map(() => []) // per receiver: update indices not yet delivered
  const subdocCounter = { n: 0 }
  const snapshots = [] // { sv, base } of docs at some moments
  docs.forEach((d, i) => {
    d.on('update', (u, origin) => {
      if (origin === 'remote') return
      const idx = log.length
      log.push(u)
      docs.forEach((_, j) => { if (j !== i) pending[j].push(idx) })
    })
  })
  const bigClock = rnd() < 0.35
  if (bigClock) {
    const big = 2 ** 32 + Math.floor(rnd() * 1000) + (rnd() < 0.5 ? 2 ** 40 : 0)
    const u = craftBigClockUpdate(ids[0], big)
    // docs[0] owns that client id: its own later edits continue after the big clock
    // (set the id after applying: yjs renames a doc that receives remote edits under its own id)
    docs[0].clientID = 99
    Y.applyUpdate(docs[0], u)
    docs[0].clientID = ids[0]
    log.push(u)
    docs.forEach((_, j) => { if (j !== 0) pending[j].push(log.length - 1) })
  }
  const offline = new Set()
  const steps = 10 + Math.floor(rnd() * 40)
  for (let s = 0; s < steps; s++) {
    const r = rnd()
    if (r < 0.65) {
      const i = Math.floor(rnd() * docs.length)
      const n = 1 + Math.floor(rnd() * 3)
      docs[i].transact(() => { for (let k = 0; k < n; k++) randomEdit(rnd, docs[i], subdocCounter) })
    } else if (r < 0.85) {
      // deliver some pending updates to a client, out of order and possibly only a part
      const j = Math.floor(rnd() * docs.length)
      if (offline.has(j)) continue
      const chosen = shuffle(rnd, pending[j]).filter(() => rnd() < 0.7)
      for (const idx of chosen) Y.applyUpdate(docs[j], log[idx], 'remote')
      pending[j] = pending[j].filter(idx => !chosen.includes(idx))
    } else if (r < 0.92) {
      const j = Math.floor(rnd() * docs.length)
      if (offline.has(j)) offline.delete(j); else offline.add(j)
    } else {
      const j = Math.floor(rnd() * docs.length)
      snapshots.push({ sv: Y.encodeStateVector(docs[j]), base: Y.encodeStateAsUpdate(docs[j]) })
    }
  }
  docs.forEach(d => snapshots.push({ sv: Y.encodeStateVector(d), base: Y.encodeStateAsUpdate(d) }))
  const states = docs.map(d => Y.encodeStateAsUpdate(d))

  // inputs: every transaction update, then the full state of every doc
  const updates = log.concat(states)
  const nLog = log.length
  const merges = []
  const addMerge = (name, idxs) => {
    const result = Y.mergeUpdates(idxs.map(i => updates[i]))
    const rest = shuffle(rnd, updates.map((_, i) => i).filter(i => !idxs.includes(i) && i < nLog))
    merges.push({ name, inputs: idxs, rest, result: b64(result), sv: b64(Y.encodeStateVectorFromUpdate(result)) })
  }
  const logIdx = log.map((_, i) => i)
  addMerge('all-log-in-order', logIdx)
  addMerge('all-log-shuffled', shuffle(rnd, logIdx))
  addMerge('all-states', states.map((_, i) => nLog + i))
  addMerge('everything-shuffled', shuffle(rnd, updates.map((_, i) => i)))
  for (let k = 0; k < 3; k++) {
    addMerge('random-subset-' + k, shuffle(rnd, logIdx).filter(() => rnd() < 0.5))
  }
  addMerge('single', [Math.floor(rnd() * updates.length)])
  addMerge('pair', [Math.floor(rnd() * updates.length), Math.floor(rnd() * updates.length)])
  addMerge('none', [])

  // state vectors to diff against: snapshots (with the doc state as base), random ones, empty
  const full = Y.mergeUpdates(updates)
  const fullSv = Y.decodeStateVector(Y.encodeStateVectorFromUpdate(full))
  const svs = snapshots.map(s => ({ sv: s.sv, base: s.base }))
  for (let k = 0; k < 4; k++) {
    const m = new Map()
    fullSv.forEach((clock, client) => { if (rnd() < 0.8) m.set(client, Math.floor(rnd() * (clock + 2))) })
    if (rnd() < 0.3) m.set(424242, 5) // a client the update does not know
    svs.push({ sv: Y.encodeStateVector(m), base: null })
  }
  svs.push({ sv: Y.encodeStateVector(new Map()), base: null })
  const diffSources = [
    { name: 'full', update: full },
    { name: 'log0', update: updates[0] },
    { name: 'subset', update: unb64(merges.find(m => m.name === 'random-subset-0').result) }
  ]
  const diffs = []
  for (const src of diffSources) {
    for (const s of svs) {
      diffs.push({
        source: src.name,
        update: b64(src.update),
        sv: b64(s.sv),
        base: s.base ? b64(s.base) : null,
        result: b64(Y.diffUpdate(src.update, s.sv))
      })
    }
  }
  return {
    seed,
    clients: ids,
    bigClock,
    roots: ROOTS,
    updates: updates.map(b64),
    updateSvs: updates.map(u => b64(Y.encodeStateVectorFromUpdate(u))),
    merges,
    diffs
  }
}

// ---------- compare ----------

const idStr = id => id === null ? null : id.client + ':' + id.clock

const describeValue = (v) => {
  if (v instanceof Y.Doc) return { subdoc: v.guid }
  if (v instanceof Y.XmlElement) return { el: v.nodeName, attrs: v.getAttributes(), children: v.toArray().map(describeValue) }
  if (v instanceof Y.XmlHook) return { hook: v.hookName, map: describeMap(v) }
  if (v instanceof Y.XmlText) return { xmltext: v.toDelta().map(describeDelta) }
  if (v instanceof Y.Text) return { text: v.toDelta().map(describeDelta) }
  if (v instanceof Y.Array) return { array: v.toArray().map(describeValue) }
  if (v instanceof Y.Map) return { map: describeMap(v) }
  if (v instanceof Y.XmlFragment) return { frag: v.toArray().map(describeValue) }
  if (v instanceof Uint8Array) return { bin: b64(v) }
  if (v === undefined) return { undef: true }
  return v
}
const describeMap = m => {
  const out = {}
  Array.from(m.keys()).sort().forEach(k => { out[k] = describeValue(m.get(k)) })
  return out
}
const describeDelta = d => ({ insert: describeValue(d.insert), attributes: d.attributes })

// content as per-clock-unit descriptors; long runs of deleted content stay one run
const describeContent = (c) => {
  switch (c.constructor) {
    case Y.ContentString: return Array.from({ length: c.str.length }, (_, i) => 'S' + c.str.charCodeAt(i))
    case Y.ContentDeleted: return { deleted: c.len }
    case Y.ContentAny: return c.arr.map(v => 'A' + JSON.stringify(describeValue(v)))
    case Y.ContentJSON: return c.arr.map(v => 'J' + JSON.stringify(describeValue(v)))
    case Y.ContentBinary: return ['B' + b64(c.content)]
    case Y.ContentEmbed: return ['E' + JSON.stringify(c.embed)]
    case Y.ContentFormat: return ['F' + c.key + '=' + JSON.stringify(c.value)]
    case Y.ContentType: return ['T' + c.type.constructor.name + ':' + (c.type.nodeName || c.type.hookName || '')]
    case Y.ContentDoc: return ['Doc' + c.doc.guid + JSON.stringify(c.opts)]
    default: return ['?' + c.constructor.name]
  }
}

// Pending structs as runs of clock units with equal descriptors, so that how the structs are split
// does not matter: a unit whose origin is the unit before it says so instead of naming the id.
const canonicalPending = (updateV2) => {
  const { structs, ds } = Y.decodeUpdateV2(updateV2)
  const runs = []
  const unit = (client, clock, len, origin, rightOrigin, parent, what) => {
    const o = origin === null ? 'none' : (origin.client === client && origin.clock === clock - 1 ? 'prev' : idStr(origin))
    runs.push({ client, clock, len, desc: `o=${o} r=${idStr(rightOrigin)} p=${parent} ${what}` })
  }
  for (const s of structs) {
    const { client, clock } = s.id
    if (s instanceof Y.GC) {
      runs.push({ client, clock, len: s.length, desc: 'GC' })
    } else if (s instanceof Y.Skip) {
      // skips carry no information
    } else {
      const parent = s.origin === null && s.rightOrigin === null
        ? (typeof s.parent === 'string' ? 'key:' + s.parent : 'id:' + idStr(s.parent)) + (s.parentSub !== null ? '/' + s.parentSub : '')
        : ''
      const cu = describeContent(s.content)
      if (cu.deleted !== undefined) {
        if (cu.deleted > 0) unit(client, clock, 1, s.origin, s.rightOrigin, parent, 'D')
        if (cu.deleted > 1) unit(client, clock + 1, cu.deleted - 1, { client, clock }, s.rightOrigin, '', 'D')
      } else {
        for (let i = 0; i < cu.length; i++) {
          unit(client, clock + i, 1, i === 0 ? s.origin : { client, clock: clock + i - 1 }, s.rightOrigin, i === 0 ? parent : '', cu[i])
        }
      }
    }
  }
  runs.sort((a, b) => a.client - b.client || a.clock - b.clock)
  const out = []
  for (const r of runs) {
    const last = out[out.length - 1]
    if (last && last.client === r.client && last.clock + last.len === r.clock && last.desc === r.desc) {
      last.len += r.len
    } else {
      out.push({ ...r })
    }
  }
  return { runs: out.map(r => `${r.client}:${r.clock}+${r.len} ${r.desc}`), ds: canonicalDs(ds) }
}

const canonicalDs = (ds) => {
  const out = []
  Array.from(ds.clients.keys()).sort((a, b) => a - b).forEach(client => {
    const items = ds.clients.get(client).filter(i => i.len > 0).map(i => [i.clock, i.len]).sort((a, b) => a[0] - b[0])
    const merged = []
    for (const [clock, len] of items) {
      const last = merged[merged.length - 1]
      if (last && last[0] + last[1] >= clock) last[1] = Math.max(last[1], clock + len - last[0])
      else merged.push([clock, len])
    }
    if (merged.length > 0) out.push(client + ':' + merged.map(([c, l]) => c + '+' + l).join(','))
  })
  return out
}

const summarize = (roots, seq) => {
  const doc = new Y.Doc()
  const out = {}
  try {
    for (const u of seq) Y.applyUpdate(doc, unb64(u))
  } catch (e) {
    out.error = String(e && e.message)
  }
  for (const [name, kind] of Object.entries(roots)) out[name] = describeValue(getRoot(doc, name, kind))
  out.sv = Array.from(Y.decodeStateVector(Y.encodeStateVector(doc)).entries()).sort((a, b) => a[0] - b[0])
  out.pending = doc.store.pendingStructs ? canonicalPending(doc.store.pendingStructs.update) : null
  out.pendingDs = doc.store.pendingDs ? canonicalPending(doc.store.pendingDs).ds : null
  return out
}

const readStdin = async () => {
  const chunks = []
  for await (const c of process.stdin) chunks.push(c)
  return Buffer.concat(chunks).toString('utf8')
}

const main = async () => {
  const [mode, ...args] = process.argv.slice(2)
  if (mode === 'generate') {
    const seed = Number(args[0] || 1)
    const count = Number(args[1] || 10)
    const cases = []
    for (let i = 0; i < count; i++) cases.push(generateCase(seed + i))
    process.stdout.write(JSON.stringify({ yjs: Y.mergeUpdates.length >= 0 ? 'ok' : '', cases }))
  } else if (mode === 'compare') {
    const { checks } = JSON.parse(await readStdin())
    const results = checks.map(c => {
      const a = summarize(c.roots, c.a)
      const b = summarize(c.roots, c.b)
      const sa = JSON.stringify(a)
      const sb = JSON.stringify(b)
      return sa === sb ? { equal: true } : { equal: false, a: sa, b: sb }
    })
    process.stdout.write(JSON.stringify({ results }))
  } else if (mode === 'revert-generate') {
    const seed = Number(args[0] || 1)
    const count = Number(args[1] || 10)
    const cases = []
    for (let i = 0; i < count; i++) cases.push(generateRevertCase(seed + i))
    process.stdout.write(JSON.stringify({ cases }))
  } else if (mode === 'revert-check') {
    const { cases } = JSON.parse(await readStdin())
    process.stdout.write(JSON.stringify({ results: cases.map(checkRevert) }))
  } else {
    process.stderr.write('usage: yjs-cases.mjs generate <seed> <count> | compare < checks.json | revert-generate <seed> <count> | revert-check < cases.json\n')
    process.exit(2)
  }
}

main().catch(e => { process.stderr.write(String(e && e.stack) + '\n'); process.exit(1) })
