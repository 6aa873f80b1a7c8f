// A Socket.IO chat server for load comparisons with Ponte's chat: a client joins a room
// (acknowledged), and each chat post is broadcast to the whole room, sender included (as Ponte
// delivers a post to its sender too), and acknowledged to its sender (as Ponte acks each post).
// Socket.IO's defaults otherwise (so permessage-deflate off unless --compression on).
// Usage: node server.mjs [port] [--compression on|off]   (default 3000)
import { createServer } from 'node:http'
import { Server } from 'socket.io'

const args = process.argv.slice(2)
const port = Number(args.find((a) => /^\d+$/.test(a)) ?? 3000)
const ci = args.indexOf('--compression')
const compression = ci >= 0 && args[ci + 1] === 'on'

const http = createServer()
// Ponte's rooms are capped at max-participants; Socket.IO has no such cap, so nothing to set.
const io = new Server(http, { perMessageDeflate: compression, serveClient: false })

io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    if (typeof room !== 'string') return
    socket.join(room)
    if (typeof ack === 'function') ack({ ok: true })
  })
  socket.on('chat', (post, ack) => {
    if (!post || typeof post.room !== 'string' || !socket.rooms.has(post.room)) return
    io.to(post.room).emit('chat', { room: post.room, user: socket.id, text: post.text })
    if (typeof ack === 'function') ack({ ok: true })
  })
})

http.listen(port, '127.0.0.1', () => {
  console.log(`socket.io peer listening on 127.0.0.1:${port} pid ${process.pid} compression ${compression ? 'on' : 'off'}`)
})
