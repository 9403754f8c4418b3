"""A scripted y-websocket client for the server's tests, on Python's Yjs port: pycrdt's Doc, Text,
Map, Awareness and Provider (the sync protocol), over a `websockets` connection. Scripts/test
installs pycrdt (and pycrdt-websocket, which pins it). Tests/Node/yjs-client.js takes the same
command line.

    python3 Tests/Python/yjs_client.py --url ws://127.0.0.1:PORT/parties/yjs --room NAME [options]

It connects to URL/ROOM, waits until synced (the server's sync step 2 arrived), then in order:
    --awareness JSON         sets the local awareness state
    --wait-peers N           waits until at least N remote awareness states are present
                             ("peers-ready"): a start line for concurrent writers, each with an
                             --awareness (a client's first state, {}, is ignored by its peers)
    --send-raw HEX           sends these bytes as one binary frame, then a sync step 1, and waits
                             for the answer ("still-open") or for the server to close ("closed")
    --insert STRING ...      inserts each string in its own transaction, at the end of the Y.Text
                             (--text NAME, default "text"), or with --random-positions at a random
                             index (--seed N); --delay-ms N between inserts
    --delete-count N         deletes N characters (UTF-16 units) from the start, in one transaction
    --map-set KEY=JSON ...   sets KEY in the Y.Map "map", each in its own transaction
    --expect-length N        waits until the text is N UTF-16 units long ("converged")
    --expect-text STRING     waits until the text is STRING ("converged")
    --confirm                opens a second, fresh doc and connection to the room (announcing no
                             awareness) and waits until its text and map equal this one's
    --expect-peers N         waits until at least N remote awareness states are (or were, since
                             connecting: every change is checked) present ("peers")
    --then-expect-peers M    then waits until exactly M remain ("peers-remaining")
    --hold                   stays connected until killed, still printing events (the --timeout
                             deadline no longer applies then)
--watch-awareness prints every change of the remote awareness states ("awareness").
--timeout SECONDS (default 20) bounds the whole run.

Prints one JSON object a line: events {"event": ...}, then the result
    {"result":true,"text":...,"length":N,"map":{...},"clientID":N,"closedCode":N|null}
and exits 0. Lengths and indexes printed or given count UTF-16 code units, as Y.Text does in
JavaScript (pycrdt itself counts UTF-8 bytes; the script converts). If the server closes the
connection, the client prints {"event":"closed","code":N} and does not reconnect: after --send-raw
that ends the run with exit 0 and "closedCode"; otherwise it is a failure (exit 3). Failures exit 1
with a message on stderr; the deadline exits 2 and prints the text seen so far on stderr.

pycrdt's Provider only speaks the sync messages (and sends every transaction of the doc, the ones
received from the server too, back as an update); this script's channel handles the awareness
messages (1) and query-awareness (3) itself, as y-websocket's WebsocketProvider does.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys

from pycrdt import (
    Awareness,
    Channel,
    Doc,
    Map,
    Provider,
    Text,
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_sync_message,
    read_message,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

MESSAGE_QUERY_AWARENESS = 3


class Failure(Exception):
    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code


class ServerClosed(Exception):
    """The server closed the connection (an error unless --send-raw was given)."""

    def __init__(self, code):
        super().__init__(f"closed with code {code}")
        self.code = code


class Arguments(argparse.ArgumentParser):
    def error(self, message):
        raise Failure(f"{message}\n{self.format_usage()}")


def parse_arguments(argv):
    def json_object(text):
        value = json_value(text)
        if not isinstance(value, dict):
            raise argparse.ArgumentTypeError("not a JSON object")
        return value

    def json_value(text):
        try:
            return json.loads(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not JSON: {text}")

    def key_and_value(text):
        key, equals, value = text.partition("=")
        if not key or not equals:
            raise argparse.ArgumentTypeError(f"not KEY=JSON: {text}")
        return key, json_value(value)

    def count(text):
        if not text.isdigit():
            raise argparse.ArgumentTypeError(f"not a non-negative integer: {text}")
        return int(text)

    def hex_bytes(text):
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise argparse.ArgumentTypeError("not an even number of hex digits")

    def seconds(text):
        value = float(text)
        if not value > 0:
            raise argparse.ArgumentTypeError("not a positive number of seconds")
        return value

    parser = Arguments(prog="yjs_client.py", description="A scripted y-websocket client.")
    parser.add_argument("--url", required=True)
    parser.add_argument("--room", required=True)
    parser.add_argument("--text", default="text")
    parser.add_argument("--insert", action="append", default=[], dest="inserts")
    parser.add_argument("--random-positions", action="store_true")
    parser.add_argument("--seed", type=count)
    parser.add_argument("--delay-ms", type=count, default=0)
    parser.add_argument("--delete-count", type=count)
    parser.add_argument("--map-set", type=key_and_value, action="append", default=[], dest="map_sets")
    parser.add_argument("--expect-length", type=count)
    parser.add_argument("--expect-text")
    parser.add_argument("--confirm", action="store_true")
    parser.add_argument("--awareness", type=json_object)
    parser.add_argument("--wait-peers", type=count)
    parser.add_argument("--watch-awareness", action="store_true")
    parser.add_argument("--expect-peers", type=count)
    parser.add_argument("--then-expect-peers", type=count)
    parser.add_argument("--hold", action="store_true")
    parser.add_argument("--send-raw", type=hex_bytes)
    parser.add_argument("--timeout", type=seconds, default=20.0)
    options = parser.parse_args(argv)
    options.url = options.url.rstrip("/")
    if options.then_expect_peers is not None and options.expect_peers is None:
        raise Failure("--then-expect-peers needs --expect-peers")
    return options


def emit(value):
    print(json.dumps(value, ensure_ascii=False, separators=(",", ":")), flush=True)


def utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


def plain(value):
    """`value` as JSON would give it in JavaScript: pycrdt reads every number back as a float."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


class RoomChannel(Channel):
    """A pycrdt Channel over a `websockets` connection. Sync messages go to the Provider;
    awareness and query-awareness messages are handled here. It never raises on a closed
    connection: it ends the iteration and tells the session instead."""

    def __init__(self, session, websocket, path):
        self._session = session
        self._websocket = websocket
        self._path = path

    @property
    def path(self):
        return self._path

    async def send(self, message):
        try:
            await self._websocket.send(message)
        except ConnectionClosed:
            pass  # reported by the receiving side

    async def recv(self):
        session = self._session
        while True:
            message = await self._websocket.recv()
            if isinstance(message, str) or not message:
                continue
            if message[0] == YMessageType.SYNC:
                if len(message) > 1 and message[1] == YSyncMessageType.SYNC_STEP2:
                    session.step2_count += 1
                return message
            if message[0] == YMessageType.AWARENESS:
                session.awareness.apply_awareness_update(read_message(message[1:]), "remote")
            elif message[0] == MESSAGE_QUERY_AWARENESS:
                await self.send(session.awareness_message(list(session.awareness.states)))

    async def __anext__(self):
        try:
            return await self.recv()
        except ConnectionClosed:
            self._session.connection_closed(self._websocket.close_code)
            raise StopAsyncIteration


class Session:
    """One Doc connected to the room through a Provider; never reconnects."""

    def __init__(self, options, announce):
        self.options = options
        self.doc = Doc()
        self.text = self.doc.get(options.text, type=Text)
        self.map = self.doc.get("map", type=Map)
        self.awareness = Awareness(self.doc)
        if not announce:
            self.awareness.set_local_state(None)
        self.closed_code = None
        self.on_close = lambda code: None
        self.step2_count = 0
        self.websocket = None
        self.channel = None
        self.provider = None
        self._closing = False
        self._sends = set()
        self._awareness_task = None

    @property
    def closed(self):
        return self.closed_code is not None

    @property
    def synced(self):
        return self.provider is not None and self.provider.synced.is_set()

    def snapshot(self):
        text = str(self.text)
        return {"text": text, "length": utf16_length(text), "map": plain(self.map.to_py() or {})}

    def remote_states(self):
        own = self.doc.client_id
        return {str(client): state for client, state in self.awareness.states.items() if client != own}

    def awareness_message(self, clients):
        return create_awareness_message(self.awareness.encode_awareness_update(clients))

    async def open(self):
        url = f"{self.options.url}/{self.options.room}"
        try:
            self.websocket = await connect(url, max_size=None)
        except (OSError, InvalidHandshake, asyncio.TimeoutError) as error:
            raise Failure(f"could not connect to {url}: {error}")
        self.channel = RoomChannel(self, self.websocket, url)
        self.awareness.observe(self._awareness_changed)
        self.provider = Provider(self.doc, self.channel)
        await self.provider.__aenter__()  # sends sync step 1, answers the server's
        # Like y-websocket's provider: announce the local state (if any) on connect, and renew it
        # every 15 s (Awareness.start; it also drops remote states silent for 30 s).
        if self.awareness.get_local_state() is not None:
            await self.channel.send(self.awareness_message([self.doc.client_id]))
        self._awareness_task = asyncio.create_task(self.awareness.start())

    def _awareness_changed(self, topic, event):
        changes, origin = event
        if topic != "update" or origin != "local" or self._closing or self.closed:
            return
        clients = changes["added"] + changes["updated"] + changes["removed"]
        task = asyncio.get_running_loop().create_task(self.channel.send(self.awareness_message(clients)))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    def connection_closed(self, code):
        if self._closing or self.closed:
            return
        self.closed_code = code if code is not None else 1006
        # As y-websocket's provider does: every remote client is gone with the connection.
        remote = [client for client in self.awareness.states if client != self.doc.client_id]
        self.awareness.remove_awareness_states(remote, "connection closed")
        self.on_close(self.closed_code)

    async def send_raw(self, data):
        await self.channel.send(data)

    async def close(self, error=None):
        """Sends the pending updates and a null awareness state, then closes the connection.
        With the `error` that ends the run, only stops the provider and closes the connection."""
        if self.websocket is None:
            return
        if error is None and not self.closed and self.awareness.get_local_state() is not None:
            self.awareness.set_local_state(None)  # sent by _awareness_changed
        if error is None and self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)
        self._closing = True
        if self._awareness_task is not None:
            self._awareness_task.cancel()
            await asyncio.gather(self._awareness_task, return_exceptions=True)
        try:
            if self.provider is not None and error is None:
                await self.provider.__aexit__(None, None, None)  # sends what is queued
            elif self.provider is not None:
                await self.provider.__aexit__(type(error), error, error.__traceback__)
        except BaseException:
            # The provider's task group raises `error` again, in a group: let the caller raise
            # `error` itself, unless it is the cancellation by which a failed provider task ended
            # the run (the group holds the cause then).
            if error is None or isinstance(error, asyncio.CancelledError):
                raise
        finally:
            with contextlib.suppress(Exception):
                await self.websocket.close()


class Peers:
    """The remote awareness states of --expect-peers and --then-expect-peers, latched on every
    awareness change, so that a peer that comes and goes between two checks counts."""

    def __init__(self, options, session):
        self.options = options
        self.session = session
        self.present = None
        self.remaining = None

    def check(self):
        expected, then_expected = self.options.expect_peers, self.options.then_expect_peers
        if expected is None:
            return
        states = self.session.remote_states()
        if self.present is None:
            if len(states) >= expected:
                self.present = states
        elif then_expected is not None and self.remaining is None and len(states) == then_expected:
            self.remaining = states


async def wait_until(session, condition):
    """Checks `condition` every 10 ms; raises ServerClosed if the session's connection closes first."""
    while True:
        if session.closed:
            raise ServerClosed(session.closed_code)
        if condition():
            return
        await asyncio.sleep(0.01)


async def run(options, state):
    session = Session(options, announce=True)
    state["session"] = session
    session.on_close = lambda code: emit({"event": "closed", "code": code})
    own = session.doc.client_id

    def awareness_changed(topic, event):
        changes, _ = event
        changed = changes["added"] + changes["updated"] + changes["removed"]
        if topic == "change" and any(client != own for client in changed):
            emit({"event": "awareness", "states": session.remote_states()})

    if options.watch_awareness:
        session.awareness.observe(awareness_changed)
    peers = Peers(options, session)
    session.awareness.observe(lambda *_: peers.check())

    try:
        await session.open()
        await steps(options, state, session, peers)
    except ServerClosed as closed:
        if options.send_raw is None:
            failure = Failure(f"the server closed the connection (code {closed.code})", 3)
            await session.close(failure)
            raise failure
        # After --send-raw the result reports the close.
    except BaseException as error:
        await session.close(error)
        raise

    emit({"result": True, **session.snapshot(), "clientID": own, "closedCode": session.closed_code})
    await session.close()


async def steps(options, state, session, peers):
    """What the options ask for, in order, once connected."""
    own = session.doc.client_id
    await wait_until(session, lambda: session.synced)
    emit({"event": "synced", **session.snapshot(), "clientID": own})

    if options.awareness is not None:
        session.awareness.set_local_state(options.awareness)
        emit({"event": "awareness-set", "state": options.awareness})

    if options.wait_peers is not None:
        await wait_until(session, lambda: len(session.remote_states()) >= options.wait_peers)
        emit({"event": "peers-ready", "count": len(session.remote_states())})

    if options.send_raw is not None:
        await session.send_raw(options.send_raw)
        emit({"event": "raw-sent", "bytes": len(options.send_raw)})
        # The server reads frames in order: an answer to this step 1 means it kept the connection.
        answered = session.step2_count
        await session.send_raw(create_sync_message(session.doc))
        await wait_until(session, lambda: session.step2_count > answered)
        emit({"event": "still-open"})

    rng = random.Random(options.seed)
    for number, string in enumerate(options.inserts):
        if number > 0 and options.delay_ms > 0:
            await asyncio.sleep(options.delay_ms / 1000)
        if session.closed:
            raise ServerClosed(session.closed_code)
        current = str(session.text)
        characters = rng.randint(0, len(current)) if options.random_positions else len(current)
        # pycrdt indexes UTF-8 bytes; the event reports UTF-16 units, as the Node client does.
        session.text.insert(len(current[:characters].encode()), string)
        emit({"event": "inserted", "index": utf16_length(current[:characters]), "string": string})

    if options.delete_count is not None:
        current = str(session.text)
        units = characters = 0
        while characters < len(current) and units < options.delete_count:
            units += utf16_length(current[characters])
            characters += 1
        del session.text[0 : len(current[:characters].encode())]
        emit({"event": "deleted", "count": units})

    for key, value in options.map_sets:
        session.map[key] = value
        emit({"event": "map-set", "key": key, "value": value})

    if options.expect_length is not None or options.expect_text is not None:

        def converged():
            snapshot = session.snapshot()
            return (options.expect_length is None or snapshot["length"] == options.expect_length) and (
                options.expect_text is None or snapshot["text"] == options.expect_text
            )

        await wait_until(session, converged)
        emit({"event": "converged", **session.snapshot()})

    if options.confirm:
        await confirm(options, session)

    if options.expect_peers is not None:
        await wait_until(session, lambda: peers.check() or peers.present is not None)
        emit({"event": "peers", "count": len(peers.present), "states": peers.present})
        if options.then_expect_peers is not None:
            await wait_until(session, lambda: peers.check() or peers.remaining is not None)
            emit({"event": "peers-remaining", "count": options.then_expect_peers, "states": peers.remaining})

    if options.hold:
        state["deadline"].cancel()  # the parent ends a holding client
        emit({"event": "holding"})
        await wait_until(session, lambda: False)


async def confirm(options, session):
    """Waits until a second, fresh doc connected to the room holds what `session`'s doc holds."""
    reader = Session(options, announce=False)
    reader.on_close = lambda code: emit({"event": "closed", "code": code, "connection": "confirm"})

    def same():
        mine, theirs = session.snapshot(), reader.snapshot()
        return mine["text"] == theirs["text"] and mine["map"] == theirs["map"]

    try:
        await reader.open()
        await wait_until(reader, lambda: reader.synced)
        await wait_until(reader, same)
    except ServerClosed as closed:
        failure = Failure(f"the server closed the --confirm connection (code {closed.code})", 3)
        await reader.close(failure)
        raise failure
    except BaseException as error:
        await reader.close(error)
        raise
    emit({"event": "confirmed", **reader.snapshot()})
    await reader.close()


def timed_out(options, state):
    session = state.get("session")
    if session is None:
        seen = "nothing (no session)"
    else:
        seen = json.dumps(
            {**session.snapshot(), "synced": session.synced, "closedCode": session.closed_code}, ensure_ascii=False
        )
    sys.stdout.flush()
    print(f"yjs_client: timed out after {options.timeout:g} s; seen: {seen}", file=sys.stderr, flush=True)
    os._exit(2)


def first_failure(error):
    """The Failure that `error` is or holds (anyio wraps errors in exception groups), or None."""
    if isinstance(error, Failure):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            failure = first_failure(inner)
            if failure is not None:
                return failure
    return None


async def main(argv):
    options = parse_arguments(argv)
    state = {}
    state["deadline"] = asyncio.get_running_loop().call_later(options.timeout, timed_out, options, state)
    await run(options, state)


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1:]))
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as error:  # a Failure, or a group from the provider's tasks, among others
        failure = first_failure(error)
        if failure is not None:
            print(f"yjs_client: {failure}", file=sys.stderr, flush=True)
            sys.exit(failure.exit_code)
        print(f"yjs_client: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
    sys.exit(0)
