"""Broadcast baseline on Python asyncio with `websockets`: WebSocket at /parties/:server/:name,
every message relayed (same opcode) to every *other* connection of the same room.
Rooms live in a dict of sets; nothing else.

Usage: python3 server.py [PORT]   (or PORT in the environment; 0 picks a free port)
Prints `listening PORT` on stdout once the socket is bound.
"""

import asyncio
import os
import signal
import sys

import websockets
from websockets.asyncio.server import broadcast, serve

rooms: dict[str, set] = {}


def room_key(path: str):
    parts = path.split("?", 1)[0].split("/")
    if len(parts) != 4 or parts[0] != "" or parts[1] != "parties" or not parts[2] or not parts[3]:
        return None
    return parts[2] + "/" + parts[3]


async def handler(connection):
    key = room_key(connection.request.path)
    if key is None:
        await connection.close(1008, "unknown path")
        return
    room = rooms.setdefault(key, set())
    room.add(connection)
    try:
        async for message in connection:
            # str stays a text frame, bytes a binary frame.
            broadcast([peer for peer in room if peer is not connection], message)
    except websockets.ConnectionClosed:
        pass
    finally:
        room.discard(connection)
        if not room and rooms.get(key) is room:
            del rooms[key]


async def main():
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "0"))
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        handler,
        "127.0.0.1",
        port,
        max_size=1 << 20,
        compression=None,
        backlog=511,
    ) as server:
        actual = server.sockets[0].getsockname()[1]
        print(f"listening {actual}", flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
