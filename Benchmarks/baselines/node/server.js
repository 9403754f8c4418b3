// Broadcast baseline on Node.js with the `ws` library: WebSocket at /parties/:server/:name,
// every message relayed (same opcode) to every *other* connection of the same room.
// Rooms live in a Map of Sets; nothing else.
//
// Usage: NODE_PATH=/usr/share/nodejs node server.js [PORT]   (or PORT in the environment; 0 = any)
// Prints `listening PORT` on stdout once the socket is bound.
'use strict';

const http = require('http');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const rooms = new Map(); // "server/name" -> Set<WebSocket>

function roomKey(url) {
  const path = (url || '').split('?', 1)[0];
  const parts = path.split('/');
  if (parts.length !== 4 || parts[0] !== '' || parts[1] !== 'parties' || !parts[2] || !parts[3]) return null;
  return parts[2] + '/' + parts[3];
}

const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20, perMessageDeflate: false });

server.on('upgrade', (req, socket, head) => {
  const key = roomKey(req.url);
  if (key === null) {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    let room = rooms.get(key);
    if (room === undefined) {
      room = new Set();
      rooms.set(key, room);
    }
    room.add(ws);
    ws.on('message', (data, isBinary) => {
      for (const peer of room) {
        if (peer !== ws && peer.readyState === 1) peer.send(data, { binary: isBinary });
      }
    });
    ws.on('close', () => {
      room.delete(ws);
      if (room.size === 0 && rooms.get(key) === room) rooms.delete(key);
    });
    ws.on('error', () => {});
  });
});

server.listen({ host: '127.0.0.1', port, backlog: 511 }, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
