#!/bin/bash
# Checks tinybase_client.py against other instances of itself through tinybase_relay.py (a
# stand-in for TinyBase's WebSocket server): alice and bob start with different cells (alice
# sends split messages), carol joins late with nothing; all three must end with the same
# content and content hashes. Exits 0 if they do. Each client starts after the previous one has
# finished its first load (alice's, alone, takes the 1 s request timeout): like TinyBase's, a
# client still loading drops the ContentDiffs it receives.
set -u
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'kill $relay 2>/dev/null; rm -rf "$out"' EXIT
python3 tinybase_relay.py --port 0 > "$out/relay" 2>&1 &
relay=$!
for _ in $(seq 50); do [ -s "$out/relay" ] && break; sleep 0.1; done
port=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['listening'])" "$out/relay") || exit 1
url="ws://127.0.0.1:$port/parties/tinybase/selfcheck"
timeout 30 python3 tinybase_client.py --url "$url" --unique-id alice --fragment-size 20 \
    --set 'pets/fido/species="dog"' --set-value 'open=true' \
    --expect-cell 'pets/felix/species="cat"' --hold --timeout 8 > "$out/alice" &
alice=$!
sleep 1.5
timeout 30 python3 tinybase_client.py --url "$url" --unique-id bob \
    --set 'pets/felix/species="cat"' --set 'pets/fido/color="brown"' \
    --expect-cell 'pets/fido/species="dog"' --expect-value 'open=true' --hold --timeout 5 > "$out/bob" &
bob=$!
sleep 1.5
timeout 30 python3 tinybase_client.py --url "$url" --unique-id carol \
    --expect-cell 'pets/fido/color="brown"' --expect-cell 'pets/felix/species="cat"' --expect-value 'open=true' \
    --timeout 4 > "$out/carol"
carol_status=$?
wait $bob; bob_status=$?
wait $alice; alice_status=$?
python3 - "$out" "$alice_status" "$bob_status" "$carol_status" <<'PY'
import json, sys
folder, statuses = sys.argv[1], sys.argv[2:]
results = {name: json.loads(open(f"{folder}/{name}").read().splitlines()[-1]) for name in ("alice", "bob", "carol")}
for (name, result), status in zip(results.items(), statuses):
    print(f"{name}: exit {status}, result {result['result']}, hashes {result['hashes']}, content {json.dumps(result['content'], sort_keys=True)}")
same = len({json.dumps(r["hashes"]) for r in results.values()}) == 1 and len({json.dumps(r["content"], sort_keys=True) for r in results.values()}) == 1
ok = same and all(s == "0" for s in statuses)
print("passed" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
