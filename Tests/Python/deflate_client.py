"""A permessage-deflate client for the server's tests, on Python's `websockets` (which offers
permessage-deflate by default, as browsers and Node's `ws` do).

    python3 deflate_client.py URL roundtrip   # compression offered: echo text and binary messages
    python3 deflate_client.py URL plain       # no compression offered: the same exchange
    python3 deflate_client.py URL bomb SIZE   # a compressed message inflating to SIZE bytes

Prints one JSON object: the negotiated extensions, what came back, and how the connection closed.
"""

import asyncio
import hashlib
import json
import os
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


def messages():
    """Messages of every shape: small, large and repetitive, large and random, text and binary."""
    text = json.dumps([{"id": i, "name": f"user-{i}", "cursor": [i, i * 2]} for i in range(3000)])
    return [
        "hi",
        text,
        "ünïcödé ✓ " * 500,
        b"\x00\x01\x02" * 40000,
        os.urandom(50000),
    ]


async def exchange(url, compression):
    result = {"extensions": None, "echoed": [], "close": None}
    async with connect(url, compression=compression, max_size=None) as ws:
        result["extensions"] = ws.response.headers.get("Sec-WebSocket-Extensions")
        for message in messages():
            await ws.send(message)
            echo = await asyncio.wait_for(ws.recv(), timeout=20)
            same = echo == message
            kind = "text" if isinstance(message, str) else "binary"
            result["echoed"].append({"kind": kind, "size": len(message), "same": same})
    return result


async def bomb(url, size):
    result = {"extensions": None, "close": None}
    async with connect(url, max_size=None) as ws:
        result["extensions"] = ws.response.headers.get("Sec-WebSocket-Extensions")
        await ws.send(b"\x00" * size)
        try:
            await asyncio.wait_for(ws.recv(), timeout=20)
            result["close"] = "answered"
        except ConnectionClosed as closed:
            result["close"] = {"code": closed.rcvd.code if closed.rcvd else None,
                               "reason": closed.rcvd.reason if closed.rcvd else None}
    return result


def main():
    url, mode = sys.argv[1], sys.argv[2]
    if mode == "roundtrip":
        result = asyncio.run(exchange(url, "deflate"))
    elif mode == "plain":
        result = asyncio.run(exchange(url, None))
    elif mode == "bomb":
        result = asyncio.run(bomb(url, int(sys.argv[3])))
    else:
        sys.exit(f"unknown mode {mode!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
