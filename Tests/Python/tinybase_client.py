#!/usr/bin/env python3
"""A protocol-level TinyBase WsSynchronizer client (legacy mode) in Python.

It follows the rules of TinyBase's synchronizer (src/synchronizers/index.ts) with its own small
MergeableStore (tinybase_core.py), over one WebSocket (websockets >= 14, asyncio):

- on connect it starts as `startSync` does: it asks everyone for their content hashes
  (GetContentHashes to ""), pulls what differs from whoever answers first, then announces its
  own ContentHashes to ""; while that first load runs it already answers requests, but drops
  ContentDiffs and the results of pulls, as TinyBase has no persister listener yet;
- on ContentHashes from a peer it pulls from that peer (GetTableDiff, GetRowDiff, GetCellDiff,
  GetValueDiff as the hashes differ) and merges; if such a pull fails it reloads as above;
- on ContentDiff (with the trailing 1) it merges;
- it answers GetContentHashes and the Get*Diff requests with a Response carrying the request id;
- its own changes (--set, --set-value) go to "" as a ContentDiff.

    python3 tinybase_client.py --url ws://127.0.0.1:PORT/parties/tinybase/ROOM \\
        --set pets/fido/species='"dog"' --expect-cell pets/felix/species='"cat"' --timeout 10

It prints one JSON object a line: events ({"event": "open" | "send" | "receive" | "merged" |
"error", ...}) and finally {"result": true | false, "content": ..., "hashes": ...}. It exits 0
when every --expect-cell / --expect-value holds (after --hold keeps it serving until the
timeout), 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any, Optional

import websockets

from tinybase_core import (
    CONTENT_DIFF,
    CONTENT_HASHES,
    GET_CELL_DIFF,
    GET_CONTENT_HASHES,
    GET_ROW_DIFF,
    GET_TABLE_DIFF,
    GET_VALUE_DIFF,
    RESPONSE,
    UNDEFINED,
    MergeableStore,
    PayloadDecoder,
    create_payloads,
    dumps,
    loads,
    merge_tables_stamps,
    unique_id,
)


def now_ms() -> int:
    return int(time.time() * 1000)


def emit(**fields: Any) -> None:
    print(dumps(fields), flush=True)


class Synchronizer:
    """createCustomSynchronizer over one WebSocket, for a client."""

    def __init__(self, store: MergeableStore, websocket, timeout: float = 1.0, fragment_size: Optional[int] = None,
                 verbose: bool = False):
        self.store = store
        self.websocket = websocket
        self.timeout = timeout
        self.fragment_size = fragment_size
        self.verbose = verbose
        self.pending: dict = {}
        self.pulling: dict = {}
        self.syncing = False  # from the start of startSync: answers GetContentHashes, pulls on ContentHashes
        self.listening = False  # once the initial load is done: merges what arrives (the persister's listener)
        self.changed = asyncio.Event()
        self.decoder = PayloadDecoder(self.receive)
        self.tasks: set = set()

    # sending

    async def send(self, to: Optional[str], request_id: Optional[str], kind: int, body: Any) -> None:
        if self.verbose:
            emit(event="send", to=to, type=kind, requestId=request_id)
        for payload in create_payloads(to, request_id, kind, body, self.fragment_size):
            await self.websocket.send(payload)

    async def request(self, to: Optional[str], kind: int, body: Any) -> tuple:
        request_id = unique_id()
        future = asyncio.get_running_loop().create_future()
        self.pending[request_id] = (to, future)
        try:
            await self.send(to, request_id, kind, body)
            return await asyncio.wait_for(future, self.timeout)
        finally:
            self.pending.pop(request_id, None)

    # receiving

    def spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def receive(self, from_id: str, request_id: Optional[str], kind: int, body: Any) -> None:
        if self.verbose:
            emit(event="receive", **{"from": from_id}, type=kind, requestId=request_id)
        if kind == RESPONSE:
            entry = self.pending.get(request_id)
            if entry and (entry[0] is None or entry[0] == from_id) and not entry[1].done():
                entry[1].set_result((body, from_id))
        elif kind == CONTENT_HASHES and self.syncing:
            under = self.pulling.get(from_id)
            if not under or under[0] != body:
                self.spawn(self.pull_then_merge(from_id, body))
        elif kind == CONTENT_DIFF and self.syncing:
            if self.listening and len(body) == 3 and (body[0][0] or body[1][0]):
                self.merge(body)
        else:
            answer = None
            if kind == GET_CONTENT_HASHES and self.syncing:
                answer = self.store.content_hashes()
            elif kind == GET_TABLE_DIFF:
                answer = self.store.table_diff(body)
            elif kind == GET_ROW_DIFF:
                answer = self.store.row_diff(body)
            elif kind == GET_CELL_DIFF:
                answer = self.store.cell_diff(body)
            elif kind == GET_VALUE_DIFF:
                answer = self.store.value_diff(body)
            if answer is not None:
                self.spawn(self.send(from_id, request_id, RESPONSE, answer))

    def merge(self, changes: list) -> None:
        won = self.store.apply(changes, now_ms())
        if won["tables"] or won["values"]:
            emit(event="merged", changes=won)
        self.changed.set()

    # pulling (getChangesFromOtherStore)

    async def get_changes(self, other: Optional[str] = None, hashes: Optional[list] = None) -> Optional[list]:
        try:
            if hashes is None:
                hashes, other = await self.request(None, GET_CONTENT_HASHES, "")
            under = self.pulling.get(other)
            if under and under[0] == hashes:
                return await under[1]
            task = asyncio.ensure_future(self.pull(other, hashes))
            self.pulling[other] = (hashes, task)
            try:
                return await task
            finally:
                if self.pulling.get(other, (None, None))[1] is task:
                    del self.pulling[other]
        except Exception as error:  # a timeout or a malformed answer: TinyBase ignores it
            emit(event="error", error=f"pull from {other}: {type(error).__name__} {error}")
            return None

    async def pull(self, other: str, hashes: list) -> list:
        tables_hash, values_hash = self.store.content_hashes()
        tables_changes: list = [{}]
        if tables_hash != hashes[0]:
            new_tables, different_tables = (await self.request(other, GET_TABLE_DIFF, self.store.table_hashes()))[0]
            tables_changes = new_tables
            if different_tables:
                row_hashes = self.store.row_hashes(different_tables)
                different_rows: dict = {}
                if row_hashes:
                    new_rows, different_rows = (await self.request(other, GET_ROW_DIFF, row_hashes))[0]
                    merge_tables_stamps(tables_changes, new_rows)
                cell_hashes = self.store.cell_hashes(different_rows)
                if cell_hashes:
                    new_cells = (await self.request(other, GET_CELL_DIFF, cell_hashes))[0]
                    merge_tables_stamps(tables_changes, new_cells)
        values_changes = [{}]
        if values_hash != hashes[1]:
            values_changes = (await self.request(other, GET_VALUE_DIFF, self.store.value_hashes()))[0]
        return [tables_changes, values_changes, 1]

    async def pull_then_merge(self, other: str, hashes: list) -> None:
        changes = await self.get_changes(other, hashes)
        if not self.listening:
            return  # still loading: TinyBase has no listener yet, so the pull is dropped
        if changes is None:
            await self.load()  # TinyBase's persister reloads after a failed pull
        else:
            self.merge(changes)

    async def load(self) -> None:
        changes = await self.get_changes()
        if changes and (changes[0][0] or changes[1][0]):
            self.merge(changes)

    # starting and local changes

    async def start(self) -> None:
        self.syncing = True
        await self.load()
        self.listening = True
        await self.send(None, None, CONTENT_HASHES, self.store.content_hashes())

    async def local_change(self, changes: Optional[list]) -> None:
        if changes is not None:
            self.changed.set()
            await self.send(None, None, CONTENT_DIFF, changes)

    async def read(self) -> None:
        async for payload in self.websocket:
            if isinstance(payload, bytes):
                payload = payload.decode("utf-8")
            error = self.decoder.decode(payload)
            if error:
                emit(event="error", error=f"invalid payload: {error}")
                await self.websocket.close(1013 if error.startswith("overflow") else 1007, error)
                return


def parse_assignment(text: str, parts: int) -> tuple:
    path, sep, value = text.partition("=")
    ids = path.split("/")
    if not sep or len(ids) != parts:
        raise argparse.ArgumentTypeError(f"expected {'/'.join(['ID'] * parts)}=JSON, got {text!r}")
    return (*ids, loads(value))


def expectations_hold(store: MergeableStore, cells: list, values: list) -> bool:
    for table_id, row_id, cell_id, value in cells:
        cell = store.tables[0].get(table_id, [{}])[0].get(row_id, [{}])[0].get(cell_id)
        if cell is None or dumps(cell[0]) != dumps(value):
            return False
    for value_id, value in values:
        stamp = store.values[0].get(value_id)
        if stamp is None or dumps(stamp[0]) != dumps(value):
            return False
    return True


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--set", action="append", default=[], type=lambda t: parse_assignment(t, 3),
                        help="TABLE/ROW/CELL=JSON (\"\\ufffc\" deletes)")
    parser.add_argument("--set-value", action="append", default=[], type=lambda t: parse_assignment(t, 1),
                        help="KEY=JSON")
    parser.add_argument("--expect-cell", action="append", default=[], type=lambda t: parse_assignment(t, 3))
    parser.add_argument("--expect-value", action="append", default=[], type=lambda t: parse_assignment(t, 1))
    parser.add_argument("--hold", action="store_true", help="keep serving other clients until the timeout")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--request-timeout", type=float, default=1.0)
    parser.add_argument("--fragment-size", type=int, default=None)
    parser.add_argument("--unique-id", default=None)
    parser.add_argument("--verbose", action="store_true", help="print every message sent and received")
    args = parser.parse_args()

    store = MergeableStore(args.unique_id or unique_id())
    deadline = time.monotonic() + args.timeout
    result = False
    try:
        async with websockets.connect(args.url, max_size=None) as websocket:
            emit(event="open", url=args.url)
            sync = Synchronizer(store, websocket, args.request_timeout, args.fragment_size, args.verbose)
            reader = asyncio.ensure_future(sync.read())
            await sync.start()
            for table_id, row_id, cell_id, value in args.set:
                await sync.local_change(store.set_cell(table_id, row_id, cell_id, value, now_ms()))
            for (value_id, value) in args.set_value:
                await sync.local_change(store.set_value(value_id, value, now_ms()))
            while not reader.done():
                result = expectations_hold(store, args.expect_cell, args.expect_value)
                if result and not args.hold:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                sync.changed.clear()
                try:
                    await asyncio.wait_for(sync.changed.wait(), min(remaining, 0.25))
                except asyncio.TimeoutError:
                    pass
            result = expectations_hold(store, args.expect_cell, args.expect_value)
            reader.cancel()
    except (OSError, websockets.exceptions.WebSocketException) as error:
        emit(event="error", error=f"{type(error).__name__}: {error}")
    content = store.content()
    emit(result=result, content=content, hashes=store.content_hashes(),
         mergeableContent=store.mergeable_content())
    return 0 if result else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
