#!/usr/bin/env python3
"""Prints golden vectors for Tests/PartyServerTests/Fixtures/tinybase-vectors.json.

    python3 Tests/Python/tinybase_vectors.py > Tests/PartyServerTests/Fixtures/tinybase-vectors.json

Everything is computed by tinybase_core.py, a re-implementation of TinyBase's rules written
apart from the Swift code. Before printing, it checks itself against the examples in
TinyBase's own documentation (tinybase.org, whose outputs are checked by TinyBase's tests),
so that both implementations are tied to TinyBase and not only to each other.
"""

import json
import sys

from tinybase_core import (
    MergeableStore,
    UNDEFINED,
    client_part,
    create_payloads,
    decode_hlc,
    dumps,
    encode_hlc,
    get_child_hash,
    get_hash,
    get_value_hash,
    HlcClock,
    js_number,
    loads,
)

DOCS_TIME = 1704067200000  # 'Nn1JUF-' in the documentation's HLCs


def check_documented_examples() -> None:
    """Outputs shown in TinyBase's documentation (api/common/functions/hash/* and the
    MergeableStore methods' examples)."""
    checks = [
        (get_value_hash("dog", "03E3B------mmxrx"), 3002200796),
        (get_child_hash("species", 3002200796), 3777304796),
        (get_child_hash("species", 3002200796) ^ get_child_hash("species", 0), 1810444343),
        (get_child_hash("fido", 1810444343), 4262151841),
        (get_child_hash("pets", 4262151841), 278115833),
        (get_value_hash(42.0, "03E3B------mmxrx"), 312420374),
        (get_child_hash("meaningOfLife", 312420374), 330198963),
        (get_value_hash(4.0, ""), 2414055963),
        (decode_hlc("Nn1JUF-----FnHIC"), (DOCS_TIME, 0, "FnHIC")),
        (client_part("store1"), "FnHIC"),
    ]
    store = MergeableStore("store1")
    store.set_cell("pets", "fido", "color", "brown", DOCS_TIME)
    checks.append(
        (
            dumps(store.mergeable_content()),
            '[[{"pets":[{"fido":[{"color":["brown","Nn1JUF-----FnHIC",923684530]},"",851131566]},'
            '"",518810247]},"",784336119],[{},"",0]]',
        )
    )
    store.set_value("open", True, DOCS_TIME)
    checks.append((store.content_hashes(), [784336119, 2829789038]))
    checks.append((store.value_hashes(), {"open": 3860530645}))
    for got, want in checks:
        if got != want:
            sys.exit(f"tinybase_core disagrees with TinyBase's documentation: {got!r} != {want!r}")


def hash_vectors() -> list:
    strings = [
        "",
        "a",
        "hello",
        "species:0",
        "héllo wörld",
        "日本語",
        "Ω≈ç",
        "👩‍👩‍👧",
        "🇫🇷 flag",
        "\ufffc",
        "\ufffd{\"a\":1}",
        "line\nbreak\ttab",
        "x" * 1000,
    ]
    return [{"string": s, "hash": get_hash(s)} for s in strings]


def value_hash_vectors() -> list:
    values = [
        '"dog"',
        "42",
        "4",
        "1.5",
        "-0",
        "1e21",
        "1e-7",
        "0.1",
        "0.30000000000000004",
        "123456789012345680000",
        "true",
        "false",
        "null",
        '"\ufffc"',
        '"quote \\" backslash \\\\ slash / ctrl \\u0001 \\u001f del \\u007f"',
        '"héllo 👩‍👩‍👧 日本語"',
        '"\\u2028\\u2029"',
        '"\ufffd[1,2]"',
    ]
    hlcs = ["03E3B------mmxrx", "", "Nn1JUF-----FnHIC"]
    out = []
    for text in values:
        for hlc in hlcs:
            out.append({"value": text, "hlc": hlc, "hash": get_value_hash(loads(text), hlc)})
    return out


def number_vectors() -> list:
    texts = [
        "0", "-0", "1", "-1", "1.5", "100", "1e21", "1e20", "123456789012345678901", "1e-6",
        "1e-7", "0.000001234", "0.1", "0.30000000000000004", "5e-324", "1.7976931348623157e308",
        "9007199254740993", "4294967295", "2.5e-10", "123.456", "1E+2", "-7.5e22",
    ]
    return [{"json": t, "text": js_number(float(t))} for t in texts]


def hlc_vectors() -> list:
    out = []
    for time, counter, unique in [
        (0, 0, "a"),
        (DOCS_TIME, 0, "store1"),
        (DOCS_TIME, 3, "store1"),
        (1735689600123, 16777215, "server"),
        (4398046511103, 12345, "日本"),
        (1700000000000, 64, ""),
    ]:
        client = client_part(unique)
        hlc = encode_hlc(time, counter, client)
        out.append({"time": time, "counter": counter, "uniqueId": unique, "clientPart": client, "hlc": hlc})
    return out


def clock_vectors() -> dict:
    clock = HlcClock("server")
    steps = []

    def step(op: str, now: int, hlc: str = None) -> None:
        entry = {"op": op, "now": now}
        if op == "next":
            entry["hlc"] = clock.next(now)
        else:
            entry["seen"] = hlc
            clock.seen(hlc, now)
        steps.append(entry)

    t = 1735689600000
    step("next", t)
    step("next", t)
    step("next", t - 10)  # the clock never goes back
    step("seen", t + 1000, encode_hlc(t + 2000, 7, client_part("alice")))
    step("next", t + 1000)  # after the remote HLC: its time, counter 8
    step("seen", t + 1000, encode_hlc(t + 10 * 60 * 1000, 0, client_part("mallory")))  # ignored
    step("next", t + 1001)
    step("seen", t + 3000, "")
    step("next", t + 3000)
    step("seen", t + 3000, encode_hlc(t + 3000, 99, client_part("bob")))
    step("next", t + 3000)
    return {"uniqueId": "server", "steps": steps}


def store_vectors() -> dict:
    t = 1735689600000
    alice = client_part("alice")
    bob = client_part("bob")

    def h(offset: int, counter: int, client: str) -> str:
        return encode_hlc(t + offset, counter, client)

    store = MergeableStore("server")
    steps = []

    def apply(changes: str, now: int) -> None:
        before = store.content_hashes()
        won = store.apply(loads(changes), now)
        changed = any(cells for rows in won["tables"].values() for cells in rows.values()) or bool(won["values"])
        steps.append({"apply": changes, "now": now, "changed": changed or store.content_hashes() != before,
                      "contentHashes": store.content_hashes()})

    def set_cell(table: str, row: str, cell: str, value: str, now: int) -> None:
        changes = store.set_cell(table, row, cell, loads(value), now)
        steps.append({"setCell": [table, row, cell, value], "now": now,
                      "changes": None if changes is None else dumps(changes),
                      "contentHashes": store.content_hashes()})

    def set_value(value_id: str, value: str, now: int) -> None:
        changes = store.set_value(value_id, loads(value), now)
        steps.append({"setValue": [value_id, value], "now": now,
                      "changes": None if changes is None else dumps(changes),
                      "contentHashes": store.content_hashes()})

    apply(dumps([[{"pets": [{"fido": [{"species": ["dog", h(0, 0, alice)], "color": ["brown", h(0, 1, alice)]}]}],
                   "10": [{"2": [{"1": [3.0, h(0, 2, alice)]}]}]}],
                 [{"open": [True, h(0, 3, alice)]}], 1]), t + 5)
    apply(dumps([[{"pets": [{"fido": [{"color": ["black", h(-5, 0, bob)]}]}]}], [{}], 1]), t + 6)  # older: loses
    apply(dumps([[{"pets": [{"fido": [{"color": ["black", h(10, 0, bob)]}]}]}], [{}], 1]), t + 20)  # newer: wins
    apply(dumps([[{"pets": [{"fido": [{"species": [UNDEFINED, h(20, 0, bob)]}]}]}], [{"open": [UNDEFINED, h(20, 1, bob)]}], 1]), t + 25)
    apply(dumps([[{"pets": [{"felix": [{"species": ["cat", h(30, 0, alice)]}, h(30, 0, alice)]}, h(31, 0, alice)]}, h(32, 0, alice)],
                 [{"名前": ["日本語 👩‍👩‍👧", h(30, 1, alice)]}, h(33, 0, alice)], 1]), t + 40)
    apply(dumps([[{"pets": [{"rex": [{}]}]}], [{}], 1]), t + 41)  # an empty row
    apply(dumps([[{}], [{}], 1]), t + 42)  # nothing
    apply(dumps([[{"pets": [{"fido": [{"color": ["grey", h(10 * 60 * 1000, 0, bob)]}]}]}], [{}], 1]), t + 50)  # from the future
    set_cell("pets", "felix", "color", '"tan"', t + 60)
    set_cell("pets", "felix", "color", '"tan"', t + 61)  # the same value: no change
    set_cell("pets", "fido", "color", '"white"', t + 62)  # loses to the future stamp
    set_value("open", "false", t + 63)
    set_value("名前", '"\ufffc"', t + 64)  # delete
    set_value("missing", '"\ufffc"', t + 65)  # deleting nothing: no change
    apply(dumps([[{"10": [{"2": [{"1": [3.5, h(100, 0, alice)], "0": [None, h(100, 1, alice)]}], "1": [{"x": [1e21, h(100, 2, alice)]}]}]}],
                 [{"2": [0.1, h(100, 3, alice)], "b": ["", h(100, 4, alice)]}], 1]), t + 110)

    tables = store.table_hashes()
    queries = []

    def query(kind: int, body) -> None:
        responses = {
            1: lambda b: store.content_hashes(),
            4: store.table_diff,
            5: store.row_diff,
            6: store.cell_diff,
            7: store.value_diff,
        }
        queries.append({"type": kind, "body": dumps(body), "response": dumps(responses[kind](body))})

    query(1, "")
    query(4, {})
    query(4, {"pets": tables["pets"], "10": 1.0, "gone": 5.0})
    query(5, {"pets": {"fido": 1.0, "felix": store.tables[0]["pets"][0]["felix"][2]}, "10": {}, "gone": {"a": 1.0}})
    query(6, {"pets": {"fido": {"color": 1.0, "species": store.tables[0]["pets"][0]["fido"][0]["species"][2]}, "rex": {}, "felix": {}},
              "10": {"2": {}}, "gone": {"a": {}}})
    query(7, {})
    query(7, {"open": store.values[0]["open"][2], "b": 3.0})
    return {
        "uniqueId": "server",
        "steps": steps,
        "mergeableContent": dumps(store.mergeable_content()),
        "tableHashes": dumps(store.table_hashes()),
        "rowHashes": dumps(store.row_hashes({"pets": 0.0, "10": 0.0})),
        "cellHashes": dumps(store.cell_hashes({"pets": {"fido": 0.0, "felix": 0.0}, "10": {"2": 0.0}})),
        "valueHashes": dumps(store.value_hashes()),
        "queries": queries,
    }


def fragment_vectors() -> list:
    out = []
    for to, request_id, kind, body, size in [
        ("", None, 2, [1.0, 2.0], 8),
        ("S", "abcdefghijklmnop", 3, loads('[[{"t":[{"r":[{"c":["héllo 👩‍👩‍👧 日本語","Nn1JUF-----FnHIC"]}]}]}],[{}],1]'), 10),
        ("client-1", "r1", 0, [1.0, 2.0], 1000),
        ("", None, 4, {"t": 1.0}, 0),
    ]:
        out.append({
            "to": to, "requestId": request_id, "type": kind, "body": dumps(body), "fragmentSize": size,
            "messageId": "FRAGMENTID012345",
            "payloads": create_payloads(to, request_id, kind, body, size, "FRAGMENTID012345"),
        })
    return out


def main() -> None:
    check_documented_examples()
    vectors = {
        "generator": "Tests/Python/tinybase_vectors.py",
        "note": "Computed by tinybase_core.py (checked against TinyBase's documented examples first).",
        "hashes": hash_vectors(),
        "valueHashes": value_hash_vectors(),
        "numbers": number_vectors(),
        "hlcs": hlc_vectors(),
        "clock": clock_vectors(),
        "store": store_vectors(),
        "fragments": fragment_vectors(),
    }
    json.dump(vectors, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
