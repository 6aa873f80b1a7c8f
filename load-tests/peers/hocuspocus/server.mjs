// A plain Hocuspocus server for load comparisons with Ponte's /hocuspocus endpoint:
// no persistence, no auth hooks (any token is answered "read-write"), documents created on open.
// Usage: node server.mjs [port] [--compression on|off]   (default 1234, off = the ws default)
import { Server } from '@hocuspocus/server'

const args = process.argv.slice(2)
const port = Number(args.find((a) => /^\d+$/.test(a)) ?? 1234)
const ci = args.indexOf('--compression')
const compression = ci >= 0 && args[ci + 1] === 'on'

// ws's own permessage-deflate defaults when on (threshold 1024 bytes, context takeover).
const server = new Server({ port, address: '127.0.0.1', quiet: true },
  { perMessageDeflate: compression })
await server.listen()
console.log(`hocuspocus peer listening on 127.0.0.1:${port} pid ${process.pid} compression ${compression ? 'on' : 'off'}`)
