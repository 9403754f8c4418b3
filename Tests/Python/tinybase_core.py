"""A small re-implementation of TinyBase's mergeable store and synchronizer rules.

Written from the facts read in tinyplex/tinybase (src/common/hash.ts, src/common/hlc.ts,
src/common/codec.ts, src/common/stamps.ts, src/common/json.ts, src/mergeable-store/index.ts,
src/synchronizers/index.ts, src/synchronizers/common.ts), independently of the Swift code in
Sources/PartyTinyBase, so that each can check the other. Used by tinybase_vectors.py (golden
vectors for the Swift tests), tinybase_client.py (a protocol-level client) and
tinybase_relay.py (a stand-in server for checking the client against itself).

Facts it follows:
- getHash: 32-bit FNV-1a over the UTF-8 bytes of a string (offset basis 0x811c9dc5, prime
  16777619), unsigned.
- A cell or value hash is getHash(JSON.stringify(value ?? null) + ":" + hlc); a child inside a
  parent is getHash(id + ":" + childHash); a parent's hash is kept by XOR as children change.
- HLCs are 16 characters of the alphabet "-0-9A-Z_a-z": 7 for a 42-bit millisecond time, 4 for
  a 24-bit counter and 5 for the low 30 bits of getHash(uniqueId).
- Messages are "<toClientId>\\n" + JSON [requestId | null, type, body] with undefined written
  as the string "\\uFFFC".
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any, Callable, Optional

# --- JSON as JavaScript writes and reads it ---------------------------------------------------


class _Undefined:
    """JavaScript's undefined (a deleted cell or value); on the wire the string U+FFFC."""

    _instance: Optional["_Undefined"] = None

    def __new__(cls) -> "_Undefined":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()
UNDEFINED_STRING = "\ufffc"

_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


def is_array_index(key: str) -> bool:
    """Whether JavaScript orders this object key first, as an integer (0 ... 2^32 - 2)."""
    return bool(_ARRAY_INDEX.fullmatch(key)) and int(key) <= 4294967294


def js_keys(obj: dict) -> list:
    """An object's keys in JavaScript's order: integer-like ones ascending, then the others
    in insertion order."""
    indexes = sorted((k for k in obj if is_array_index(k)), key=int)
    return indexes + [k for k in obj if not is_array_index(k)]


def js_number(x: float) -> str:
    """JavaScript's Number.prototype.toString() of a finite number (radix 10)."""
    if x == 0:
        return "0"
    if x < 0:
        return "-" + js_number(-x)
    mantissa, _, exponent = repr(float(x)).partition("e")
    integer, _, fraction = mantissa.partition(".")
    digits = integer + fraction
    leading = len(digits) - len(digits.lstrip("0"))
    n = len(integer) - leading + (int(exponent) if exponent else 0)
    digits = digits.lstrip("0").rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    head = digits if k == 1 else digits[0] + "." + digits[1:]
    return head + "e" + sign + str(abs(e))


def js_quote(s: str) -> str:
    """JSON.stringify of a string."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF:
            out.append("\\u%04x" % code)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def dumps(value: Any) -> str:
    """JSON.stringify with TinyBase's replacer: undefined becomes the string U+FFFC."""
    if value is UNDEFINED:
        return js_quote(UNDEFINED_STRING)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        x = float(value)
        return js_number(x) if x == x and x not in (float("inf"), float("-inf")) else "null"
    if isinstance(value, str):
        return js_quote(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(js_quote(k) + ":" + dumps(value[k]) for k in js_keys(value)) + "}"
    raise TypeError(f"cannot write {value!r} as JSON")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _js_object(pairs: list) -> dict:
    obj: dict = {}
    for key, value in pairs:
        obj[key] = value
    return {k: obj[k] for k in js_keys(obj)}


def _with_undefined(value: Any) -> Any:
    if value == UNDEFINED_STRING and isinstance(value, str):
        return UNDEFINED
    if isinstance(value, list):
        return [_with_undefined(v) for v in value]
    if isinstance(value, dict):
        return {k: _with_undefined(v) for k, v in value.items()}
    return value


def loads(text: str) -> Any:
    """JSON.parse with TinyBase's substitution of the string U+FFFC by undefined; numbers are
    floats as in JavaScript."""
    return _with_undefined(
        json.loads(
            text,
            parse_int=float,
            parse_constant=_reject_constant,
            object_pairs_hook=_js_object,
        )
    )


# --- Hashes ------------------------------------------------------------------------------------


def utf8(s: str) -> bytes:
    """TextEncoder's bytes: a lone surrogate becomes U+FFFD."""
    return re.sub("[\ud800-\udfff]", "\ufffd", s).encode("utf-8")


def get_hash(s: str) -> int:
    """TinyBase's getHash: FNV-1a, 32 bits, over UTF-8."""
    h = 0x811C9DC5
    for byte in utf8(s):
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def get_value_hash(value: Any, hlc: str) -> int:
    """getCellHash / getValueHash: the JSON of the value (undefined as null), ":", the HLC."""
    return get_hash(dumps(None if value is UNDEFINED else value) + ":" + hlc)


def get_child_hash(child_id: str, child_hash: int) -> int:
    """getCellInRowHash, getRowInTableHash, getTableInTablesHash, getValueInValuesHash."""
    return get_hash(child_id + ":" + str(child_hash))


def replace_hlc_hash(old_hlc: str, new_hlc: str) -> int:
    if new_hlc > old_hlc:
        return (get_hash(old_hlc) if old_hlc else 0) ^ get_hash(new_hlc)
    return 0


# --- HLCs --------------------------------------------------------------------------------------

ALPHABET = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_DECODE = {c: i for i, c in enumerate(ALPHABET)}
_HLC = re.compile(r"[-0-9A-Z_a-z]{16}")
HLC_MAX_FUTURE_OFFSET = 5 * 60 * 1000


def encode6(n: int) -> str:
    return ALPHABET[n & 63]


def client_part(unique_id: str) -> str:
    h = get_hash(unique_id)
    return "".join(encode6(h >> shift) for shift in (24, 18, 12, 6, 0))


def encode_hlc(logical_time: int, counter: int, client: str) -> str:
    return (
        "".join(encode6(logical_time >> shift) for shift in (36, 30, 24, 18, 12, 6, 0))
        + "".join(encode6(counter >> shift) for shift in (18, 12, 6, 0))
        + client
    )


def _decode6(hlc: str, pos: int) -> int:
    return _DECODE.get(hlc[pos], 0) if pos < len(hlc) else 0


def decode_hlc(hlc: str) -> tuple:
    time = 0
    for pos in range(7):
        time = time * 64 + _decode6(hlc, pos)
    counter = 0
    for pos in range(7, 11):
        counter = counter * 64 + _decode6(hlc, pos)
    return time, counter, hlc[11:]


def is_hlc(hlc: Any, max_logical_time: float) -> bool:
    return hlc == "" or (
        isinstance(hlc, str) and bool(_HLC.fullmatch(hlc)) and decode_hlc(hlc)[0] <= max_logical_time
    )


class HlcClock:
    """getHlcFunctions: the next HLC for local changes, and what was seen of remote ones."""

    def __init__(self, unique_id: str):
        self.client = client_part(unique_id)
        self.last_time = 0
        self.last_counter = -1

    def seen(self, hlc: Optional[str], now: int) -> None:
        if hlc is not None and not is_hlc(hlc, now + HLC_MAX_FUTURE_OFFSET):
            return
        previous = self.last_time
        remote_time, remote_counter = (0, 0) if hlc in (None, "") else decode_hlc(hlc)[:2]
        self.last_time = max(previous, remote_time, now)
        if self.last_time == previous:
            if self.last_time == remote_time:
                self.last_counter = max(self.last_counter, remote_counter)
        else:
            self.last_counter = remote_counter if self.last_time == remote_time else -1

    def next(self, now: int) -> str:
        self.seen(None, now)
        self.last_counter += 1
        if self.last_counter == 1 << 24:
            self.last_time += 1
            self.last_counter = 0
        return encode_hlc(self.last_time, self.last_counter, self.client)


def latest_hlc(a: Optional[str], b: Optional[str]) -> str:
    return (a if (a or "") > (b or "") else b) or ""


# --- Stamps and the mergeable store ------------------------------------------------------------


def stamp_new(thing: Any, hlc: str) -> list:
    """stampNew: [thing, hlc], or [thing] when the HLC is empty."""
    return [thing, hlc] if hlc else [thing]


def _stamp_parts(stamp: list) -> tuple:
    thing = stamp[0]
    hlc = stamp[1] if len(stamp) > 1 else ""
    return thing, hlc


def same_value(a: Any, b: Any) -> bool:
    """JavaScript's === between two cells or values."""
    if a is UNDEFINED or b is UNDEFINED:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if a is None or b is None:
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


class MergeableStore:
    """A MergeableStore's stamp maps: each level [children, hlc, hash]; cells [value, hlc, hash]."""

    def __init__(self, unique_id: str):
        self.tables: list = [{}, "", 0]
        self.values: list = [{}, "", 0]
        self.clock = HlcClock(unique_id)

    # merging (mergeContentOrChanges with isContent = 0)

    def _merge_things(self, things: list, stamp_map: list, changed: dict) -> tuple:
        things_obj, incoming_hlc = _stamp_parts(things)
        old_hlc, old_hash = stamp_map[1], stamp_map[2]
        things_hlc = incoming_hlc
        things_hash = old_hash
        for thing_id, thing_stamp in things_obj.items():
            thing, thing_hlc = _stamp_parts(thing_stamp)
            stamp = stamp_map[0].setdefault(thing_id, [UNDEFINED, "", 0])
            old_thing_hlc, old_thing_hash = stamp[1], stamp[2]
            if not old_thing_hlc or thing_hlc > old_thing_hlc:
                if thing_hlc > stamp[1]:
                    stamp[1] = thing_hlc
                stamp[2] = get_value_hash(thing, thing_hlc)
                stamp[0] = thing
                changed[thing_id] = thing
                things_hash ^= get_child_hash(thing_id, old_thing_hash) ^ get_child_hash(thing_id, stamp[2])
                things_hlc = latest_hlc(things_hlc, thing_hlc)
        things_hash ^= replace_hlc_hash(old_hlc, incoming_hlc)
        if incoming_hlc > stamp_map[1]:
            stamp_map[1] = incoming_hlc
        stamp_map[2] = things_hash & 0xFFFFFFFF
        return things_hlc, old_hash, stamp_map[2]

    def apply(self, changes: list, now: int) -> dict:
        """applyMergeableChanges; returns {"tables": {t: {r: {c: v}}}, "values": {v: v}} of what won."""
        tables_changes: dict = {}
        values_changes: dict = {}
        tables_obj, incoming_tables_hlc = _stamp_parts(changes[0])
        old_tables_hlc, old_tables_hash = self.tables[1], self.tables[2]
        tables_hash = old_tables_hash
        tables_hlc = incoming_tables_hlc
        for table_id, table_stamp in tables_obj.items():
            rows_obj, incoming_table_hlc = _stamp_parts(table_stamp)
            table = self.tables[0].setdefault(table_id, [{}, "", 0])
            old_table_hlc, old_table_hash = table[1], table[2]
            table_hash = old_table_hash
            table_hlc = incoming_table_hlc
            for row_id, row_stamp in rows_obj.items():
                row = table[0].setdefault(row_id, [{}, "", 0])
                row_changes = tables_changes.setdefault(table_id, {}).setdefault(row_id, {})
                row_hlc, old_row_hash, row_hash = self._merge_things(row_stamp, row, row_changes)
                table_hash ^= (get_child_hash(row_id, old_row_hash) if old_row_hash else 0) ^ get_child_hash(
                    row_id, row_hash
                )
                table_hlc = latest_hlc(table_hlc, row_hlc)
            table_hash ^= replace_hlc_hash(old_table_hlc, incoming_table_hlc)
            if incoming_table_hlc > table[1]:
                table[1] = incoming_table_hlc
            table[2] = table_hash & 0xFFFFFFFF
            tables_hash ^= (get_child_hash(table_id, old_table_hash) if old_table_hash else 0) ^ get_child_hash(
                table_id, table[2]
            )
            tables_hlc = latest_hlc(tables_hlc, table_hlc)
        tables_hash ^= replace_hlc_hash(old_tables_hlc, incoming_tables_hlc)
        if incoming_tables_hlc > self.tables[1]:
            self.tables[1] = incoming_tables_hlc
        self.tables[2] = tables_hash & 0xFFFFFFFF
        values_hlc = self._merge_things(changes[1], self.values, values_changes)[0]
        self.clock.seen(latest_hlc(tables_hlc, values_hlc), now)
        return {"tables": tables_changes, "values": values_changes}

    # local changes (a Store's setCell / delCell / setValue / delValue, then the transaction's changes)

    def set_cell(self, table_id: str, row_id: str, cell_id: str, value: Any, now: int) -> Optional[list]:
        current = self.tables[0].get(table_id, [{}])[0].get(row_id, [{}])[0].get(cell_id)
        if value is UNDEFINED and (current is None or current[0] is UNDEFINED):
            return None
        if current is not None and same_value(current[0], value):
            return None
        hlc = self.clock.next(now)
        self.apply([[{table_id: [{row_id: [{cell_id: [value, hlc]}]}]}], [{}], 1], now)
        table = self.tables[0][table_id]
        row = table[0][row_id]
        cell = row[0][cell_id]
        return [
            stamp_new({table_id: stamp_new({row_id: stamp_new({cell_id: stamp_new(cell[0], cell[1])}, row[1])}, table[1])}, self.tables[1]),
            stamp_new({}, self.values[1]),
            1,
        ]

    def set_value(self, value_id: str, value: Any, now: int) -> Optional[list]:
        current = self.values[0].get(value_id)
        if value is UNDEFINED and (current is None or current[0] is UNDEFINED):
            return None
        if current is not None and same_value(current[0], value):
            return None
        hlc = self.clock.next(now)
        self.apply([[{}], [{value_id: [value, hlc]}], 1], now)
        stamp = self.values[0][value_id]
        return [
            stamp_new({}, self.tables[1]),
            stamp_new({value_id: stamp_new(stamp[0], stamp[1])}, self.values[1]),
            1,
        ]

    # what a peer answers

    def content_hashes(self) -> list:
        return [self.tables[2], self.values[2]]

    def table_hashes(self) -> dict:
        return {t: s[2] for t, s in self.tables[0].items()}

    def table_diff(self, other: dict) -> list:
        new_tables = stamp_new({}, self.tables[1])
        different: dict = {}
        for table_id, (rows, table_hlc, table_hash) in self.tables[0].items():
            if table_id in other:
                if table_hash != other[table_id]:
                    different[table_id] = table_hash
            else:
                new_tables[0][table_id] = stamp_new(
                    {
                        row_id: stamp_new({c: stamp_new(s[0], s[1]) for c, s in row[0].items()}, row[1])
                        for row_id, row in rows.items()
                    },
                    table_hlc,
                )
        return [new_tables, different]

    def row_hashes(self, other_table_hashes: dict) -> dict:
        result: dict = {}
        for table_id, other_hash in other_table_hashes.items():
            table = self.tables[0].get(table_id)
            if table is not None and table[2] != other_hash:
                for row_id, row in table[0].items():
                    result.setdefault(table_id, {})[row_id] = row[2]
        return result

    def row_diff(self, other_row_hashes: dict) -> list:
        new_rows = stamp_new({}, self.tables[1])
        different: dict = {}
        for table_id, other_rows in other_row_hashes.items():
            table = self.tables[0].get(table_id)
            if table is None:
                continue
            for row_id, (cells, row_hlc, row_hash) in table[0].items():
                if row_id in other_rows:
                    if row_hash != other_rows[row_id]:
                        different.setdefault(table_id, {})[row_id] = row_hash
                else:
                    new_rows[0].setdefault(table_id, [{}])[0][row_id] = stamp_new(
                        {c: stamp_new(s[0], s[1]) for c, s in cells.items()}, row_hlc
                    )
        return [new_rows, different]

    def cell_hashes(self, other_row_hashes: dict) -> dict:
        result: dict = {}
        for table_id, other_rows in other_row_hashes.items():
            table = self.tables[0].get(table_id)
            if table is None:
                continue
            for row_id, other_hash in other_rows.items():
                row = table[0].get(row_id)
                if row is not None and row[2] != other_hash:
                    for cell_id, cell in row[0].items():
                        result.setdefault(table_id, {}).setdefault(row_id, {})[cell_id] = cell[2]
        return result

    def cell_diff(self, other_cell_hashes: dict) -> list:
        tables_obj: dict = {}
        for table_id, other_rows in other_cell_hashes.items():
            for row_id, other_cells in other_rows.items():
                table = self.tables[0].get(table_id)
                if table is None:
                    continue
                row = table[0].get(row_id)
                if row is None:
                    continue
                for cell_id, (cell, cell_hlc, cell_hash) in row[0].items():
                    if cell_hash != other_cells.get(cell_id):
                        table_out = tables_obj.setdefault(table_id, stamp_new({}, table[1]))
                        row_out = table_out[0].setdefault(row_id, stamp_new({}, row[1]))
                        row_out[0][cell_id] = [cell, cell_hlc]
        return stamp_new(tables_obj, self.tables[1])

    def value_hashes(self) -> dict:
        return {v: s[2] for v, s in self.values[0].items()}

    def value_diff(self, other_value_hashes: dict) -> list:
        values = {
            v: stamp_new(s[0], s[1]) for v, s in self.values[0].items() if s[2] != other_value_hashes.get(v)
        }
        return stamp_new(values, self.values[1])

    # whole content

    def mergeable_content(self) -> list:
        return [
            [
                {
                    t: [{r: [{c: list(s) for c, s in row[0].items()}, row[1], row[2]] for r, row in table[0].items()}, table[1], table[2]]
                    for t, table in self.tables[0].items()
                },
                self.tables[1],
                self.tables[2],
            ],
            [{v: list(s) for v, s in self.values[0].items()}, self.values[1], self.values[2]],
        ]

    def content(self) -> dict:
        """getContent: tables and values without deleted cells, rows or tables."""
        tables: dict = {}
        for t, table in self.tables[0].items():
            rows = {}
            for r, row in table[0].items():
                cells = {c: s[0] for c, s in row[0].items() if s[0] is not UNDEFINED}
                if cells:
                    rows[r] = cells
            if rows:
                tables[t] = rows
        values = {v: s[0] for v, s in self.values[0].items() if s[0] is not UNDEFINED}
        return {"tables": tables, "values": values}


def merge_tables_stamps(into: list, other: list) -> None:
    """The synchronizer's mergeTablesStamps, folding pulled rows or cells into the changes."""
    tables2, tables_hlc2 = _stamp_parts(other)
    for table_id, table_stamp2 in tables2.items():
        rows2, table_hlc2 = _stamp_parts(table_stamp2)
        table = into[0].setdefault(table_id, [{}, ""])
        while len(table) < 2:
            table.append("")
        for row_id, row_stamp2 in rows2.items():
            cells2, row_hlc2 = _stamp_parts(row_stamp2)
            row = table[0].setdefault(row_id, [{}, ""])
            while len(row) < 2:
                row.append("")
            for cell_id, cell_stamp2 in cells2.items():
                cell2, cell_hlc2 = _stamp_parts(cell_stamp2)
                row[0][cell_id] = stamp_new(cell2, cell_hlc2)
            row[1] = latest_hlc(row[1], row_hlc2)
        table[1] = latest_hlc(table[1], table_hlc2)
    while len(into) < 2:
        into.append("")
    into[1] = latest_hlc(into[1], tables_hlc2)


# --- Messages ----------------------------------------------------------------------------------

RESPONSE, GET_CONTENT_HASHES, CONTENT_HASHES, CONTENT_DIFF = 0, 1, 2, 3
GET_TABLE_DIFF, GET_ROW_DIFF, GET_CELL_DIFF, GET_VALUE_DIFF = 4, 5, 6, 7
SERVER_CLIENT_ID = "S"
FRAGMENT = re.compile(r"([-0-9A-Z_a-z]{16})\n(\d+)\n(\d+)\n([\s\S]*)")
MAX_FRAGMENT_COUNT = 1000
MAX_FRAGMENT_BUFFERS = 100
MAX_PAYLOAD_SIZE = 16_777_216


def unique_id(length: int = 16) -> str:
    """getUniqueId: random characters of the HLC alphabet."""
    return "".join(ALPHABET[b & 63] for b in secrets.token_bytes(length))


def _is_hash(x: Any) -> bool:
    return isinstance(x, float) and x == int(x) and 0 <= x <= 0xFFFFFFFF


def _is_hash_tree(tree: Any, depth: int) -> bool:
    return isinstance(tree, dict) and all(
        _is_hash_tree(c, depth - 1) if depth else _is_hash(c) for c in tree.values()
    )


def _is_cell_or_undefined(x: Any) -> bool:
    if x is UNDEFINED or x is None or isinstance(x, (bool, str, list, dict)):
        return True
    return isinstance(x, float) and x == x and x not in (float("inf"), float("-inf"))


def _is_stamp(stamp: Any, depth: int) -> bool:
    if not isinstance(stamp, list):
        return False
    if not (len(stamp) == 1 or (len(stamp) == 2 and isinstance(stamp[1], str) and is_hlc(stamp[1], float("inf")))):
        return False
    if depth:
        return isinstance(stamp[0], dict) and all(_is_stamp(c, depth - 1) for c in stamp[0].values())
    return _is_cell_or_undefined(stamp[0])


def is_body_valid(message: float, body: Any) -> bool:
    """isProtocolMessageValid's body checks, per message type (legacy types 0-7)."""
    if message == RESPONSE:
        return (
            (isinstance(body, list) and len(body) == 2 and _is_hash(body[0]) and _is_hash(body[1]))
            or _is_hash_tree(body, 1)
            or _is_stamp(body, 3)
            or _is_stamp(body, 1)
            or (
                isinstance(body, list)
                and len(body) == 2
                and _is_stamp(body[0], 3)
                and (_is_hash_tree(body[1], 0) or _is_hash_tree(body[1], 1))
            )
        )
    if message == GET_CONTENT_HASHES:
        return body == "" and isinstance(body, str)
    if message == CONTENT_HASHES:
        return isinstance(body, list) and len(body) == 2 and _is_hash(body[0]) and _is_hash(body[1])
    if message == CONTENT_DIFF:
        return (
            isinstance(body, list)
            and (len(body) == 2 or (len(body) == 3 and body[2] == 1.0 and not isinstance(body[2], bool)))
            and _is_stamp(body[0], 3)
            and _is_stamp(body[1], 1)
        )
    if message in (GET_TABLE_DIFF, GET_VALUE_DIFF):
        return _is_hash_tree(body, 0)
    if message == GET_ROW_DIFF:
        return _is_hash_tree(body, 1)
    if message == GET_CELL_DIFF:
        return _is_hash_tree(body, 2)
    return False


def decode_message(remainder: str) -> Optional[tuple]:
    """[requestId, type, body] if the JSON is a valid protocol message, else None."""
    try:
        message = loads(remainder)
    except ValueError:
        return None
    if not (isinstance(message, list) and len(message) == 3):
        return None
    request_id, kind, body = message
    if not (request_id is None or isinstance(request_id, str)):
        return None
    if isinstance(kind, bool) or not isinstance(kind, float) or kind != int(kind):
        return None
    if not is_body_valid(kind, body):
        return None
    return request_id, int(kind), body


def create_payloads(to: Optional[str], request_id: Optional[str], kind: int, body: Any,
                    fragment_size: Optional[int] = None, message_id: Optional[str] = None) -> list:
    """createPayloads: one "<to>\\n<json>" payload, or fragments
    "<to>\\n<16-char id>\\n<index>\\n<total>\\n<chunk>" of at most fragment_size UTF-8 bytes."""
    to = to or ""
    remainder = dumps([request_id, kind, body])
    if fragment_size is None or int(fragment_size) < 1:
        return [to + "\n" + remainder]
    size = len(utf8(remainder))
    max_size = max(int(fragment_size), -(-size // MAX_FRAGMENT_COUNT) + 3)
    fragments: list = []
    fragment, fragment_size_now = "", 0
    for ch in remainder:
        ch_size = len(utf8(ch))
        if fragment_size_now > 0 and fragment_size_now + ch_size > max_size:
            fragments.append(fragment)
            fragment, fragment_size_now = "", 0
        fragment += ch
        fragment_size_now += ch_size
    fragments.append(fragment)
    if len(fragments) == 1:
        return [to + "\n" + remainder]
    message_id = message_id or unique_id()
    return [to + "\n" + "\n".join([message_id, str(i), str(len(fragments)), f]) for i, f in enumerate(fragments)]


class PayloadDecoder:
    """createPayloadDecoder: whole messages, or fragments put back together (limits as TinyBase:
    1000 fragments a message, 100 messages in progress, 16 MiB buffered)."""

    def __init__(self, receive: Callable[..., None], with_remainders: bool = False):
        """`receive(clientId, requestId, type, body)`, or with `with_remainders`
        `receive(clientId, remainders, requestId, type, body)` with the pieces as received."""
        self.receive = receive
        self.with_remainders = with_remainders
        self.buffer: dict = {}
        self.size = 0
        self.valid = True

    def decode(self, payload: str) -> Optional[str]:
        """Handles one payload; returns an error text if it is invalid (then the socket closes)."""
        if not self.valid:
            return "invalid"
        if len(utf8(payload)) > MAX_PAYLOAD_SIZE:
            self.valid = False
            return "overflow: payload"
        split = payload.find("\n")
        if split < 0:
            self.valid = False
            return "no separator"
        client_id, remainder = payload[:split], payload[split + 1:]
        message = decode_message(remainder)
        if message:
            self._deliver(client_id, [remainder], message)
            return None
        match = FRAGMENT.fullmatch(remainder)
        if not match:
            self.valid = False
            return "invalid message"
        message_id, index, total, fragment = match.group(1), int(match.group(2)), int(match.group(3)), match.group(4)
        if total > MAX_FRAGMENT_COUNT:
            self.valid = False
            return "overflow: fragments"
        if not (total > 0 and 0 <= index < total):
            self.valid = False
            return "invalid fragment"
        key = client_id + "\n" + message_id
        pending = self.buffer.get(key)
        if pending is None and len(self.buffer) >= MAX_FRAGMENT_BUFFERS:
            self.valid = False
            return "overflow: fragments"
        if pending is not None and (pending[1] != total or index in pending[0]):
            self.valid = False
            return "invalid fragment"
        retained = len(utf8(remainder)) + (0 if pending else len(utf8(key)))
        if self.size + retained > MAX_PAYLOAD_SIZE:
            self.valid = False
            return "overflow: fragments"
        if pending is None:
            pending = self.buffer[key] = [{}, total, 0, {}]
        pending[0][index] = fragment
        pending[3][index] = remainder
        pending[2] += retained
        self.size += retained
        if len(pending[0]) == total:
            del self.buffer[key]
            self.size -= pending[2]
            message = decode_message("".join(pending[0][i] for i in range(total)))
            if not message:
                self.valid = False
                return "invalid message"
            self._deliver(client_id, [pending[3][i] for i in range(total)], message)
        return None

    def _deliver(self, client_id: str, remainders: list, message: tuple) -> None:
        if self.with_remainders:
            self.receive(client_id, remainders, *message)
        else:
            self.receive(client_id, *message)
