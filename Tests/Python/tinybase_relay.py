#!/usr/bin/env python3
"""A stand-in for TinyBase's WebSocket server (legacy mode, no server-side store), to check
tinybase_client.py against other instances of itself before a real server exists.

It routes as `createWsServer` does (src/synchronizers/synchronizer-ws-server/index.ts): a
client's id is its Sec-WebSocket-Key; the path (without the leading "/" and the query) groups
clients; each payload "<to>\\n<rest>" is read (split messages put together and checked), then
each received piece is passed on as "<fromId>\\n<rest>": to every other client on the path when
<to> is "", to that client when it names one ("S", the server's store, is absent here).
Malformed payloads close the connection with 1007, overflow with 1013.

    python3 tinybase_relay.py --port 8765   # prints {"listening": PORT} when ready
"""

import argparse
import asyncio
import json
import sys

import websockets

from tinybase_core import PayloadDecoder

paths: dict = {}


async def handle(websocket) -> None:
    client_id = websocket.request.headers.get("Sec-WebSocket-Key")
    path = websocket.request.path.split("?", 1)[0].lstrip("/")
    clients = paths.setdefault(path, {})
    clients[client_id] = websocket
    outgoing: list = []

    def receive(to: str, remainders: list, *_message) -> None:
        # Each piece is passed on as received, once the whole message has been read and checked.
        targets = [c for i, c in clients.items() if i != client_id] if to == "" else (
            [clients[to]] if to in clients else [])
        for remainder in remainders:
            for target in targets:
                outgoing.append((target, client_id + "\n" + remainder))

    decoder = PayloadDecoder(receive, with_remainders=True)
    try:
        async for payload in websocket:
            if isinstance(payload, bytes):
                payload = payload.decode("utf-8")
            error = decoder.decode(payload)
            if error:
                await websocket.close(1013 if error.startswith("overflow") else 1007, error)
                break
            for target, forwarded in outgoing:
                try:
                    await target.send(forwarded)
                except websockets.exceptions.ConnectionClosed:
                    pass
            outgoing.clear()
    finally:
        clients.pop(client_id, None)
        if not clients:
            paths.pop(path, None)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    async with websockets.serve(handle, "127.0.0.1", args.port, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(json.dumps({"listening": port}), flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
