#!/usr/bin/env python3
"""Several partyserver nodes on one PostgreSQL database: what the cluster costs.

  Benchmarks/cluster-bench.py fanout     --pg-url URL [--mode sqlite|owner|forward] [--messages N] [--clients N]
  Benchmarks/cluster-bench.py activation --pg-url URL [--rooms 200]
  Benchmarks/cluster-bench.py failover   --pg-url URL [--lease-seconds 10] [--repeat 3]
  Benchmarks/cluster-bench.py puts       --pg-url URL --scenario p1|p10|p1000|p1000s --backend sqlite|postgres

URL is a PostgreSQL server's URL (`Scripts/postgres start DIR` prints one); every run creates a
fresh database on it (`bench_<random>`) and drops it afterwards. Release builds are expected at
.build/release/partyserver (or PARTYSERVER_BINARY) and Benchmarks/.build/release/loadgen (see Benchmarks/run).
Loopback only; every loop is bounded in count and time; every server started here is stopped.
KEEP_LOGS=1 keeps the server log of a `puts` run (its folder is printed on stderr).

What each subcommand measures (one JSON line per run on stdout):

- fanout: Benchmarks/run's scenario (a), 1 chat room x 1000 clients, 1 sender, 2000 messages of
  64 B (200 warm-up), unpaced, driven by loadgen. --mode sqlite: one node without a database URL
  (the baseline); owner: nodes A and B on PostgreSQL, every client on A, which owns the room;
  forward: the same two nodes, every client on B, so B relays every frame to and from A. In all
  modes one extra client (Python `websockets`) joins the room through A first and stays until
  the end, so the room is created on, and its lease held by, A; the script checks
  party_room_leases before starting the load. Reports deliveries per second and the CPU seconds
  of each node during the run.
- activation: time to first byte (curl's time_starttransfer, one fresh TCP connection per
  request) of `POST /parties/counter/<new name>`, N rooms in sequence, each one new: on one node
  with SQLite, one node with PostgreSQL, and (forward) 2 x N new rooms all requested through node
  B of a two-node cluster: B places each new room on the less loaded node, so about half go to A
  (B forwards the request, A takes the lease and starts the room) and half stay on B; the two
  halves are reported apart, classified by party_room_leases after the run.
- failover: nodes A and B with --lease-seconds L; a counter room created through A; kill -9 A;
  POST through B every 50 ms until one answers 200 (at most 4 x L + 10 s); the time from the kill
  to that 200.
- puts: Benchmarks/run-durable's puts scenarios (p1, p10, p1000: loadgen counter with
  --verify-stored, server with --hibernate-after 2; p1000s is p1000 with 20 increments per room)
  against one node, SQLite or PostgreSQL. (The puts scenarios run `partyserver` itself, which
  takes --database-url; durable-bench-server is only used for wake and memory.)
"""
import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
PARTYSERVER = os.environ.get("PARTYSERVER_BINARY", os.path.join(ROOT, ".build/release/partyserver"))
LOADGEN = os.path.join(BENCH, ".build/release/loadgen")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def psql_bin():
    found = sorted(d for d in os.listdir("/usr/lib/postgresql") if os.path.isdir(f"/usr/lib/postgresql/{d}/bin"))
    return f"/usr/lib/postgresql/{found[-1]}/bin/psql" if found else "psql"


def psql(url, sql):
    out = subprocess.run([psql_bin(), url, "-At", "-c", sql], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


class FreshDatabase:
    """A new database on the server of `base` (a postgres:// URL), dropped on exit."""

    def __init__(self, base):
        self.base = base
        self.name = "bench_" + "".join(random.choice(string.ascii_lowercase) for _ in range(10))
        parts = urllib.parse.urlsplit(base)
        self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))

    def __enter__(self):
        psql(self.base, f"CREATE DATABASE {self.name}")
        return self

    def __exit__(self, *exc):
        try:
            psql(self.base, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        except Exception as error:  # noqa: BLE001 - report, do not hide the run's own error
            print(f"could not drop {self.name}: {error}", file=sys.stderr)


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(") ", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except OSError:
        return None


class Node:
    """One partyserver process on 127.0.0.1 and a free port."""

    def __init__(self, work, name, db_url=None, lease=None, extra=()):
        self.name = name
        self.data = tempfile.mkdtemp(prefix=f"{name}-", dir=work)
        self.log = os.path.join(work, f"{name}.log")
        args = [PARTYSERVER, "--port", "0", "--data-dir", self.data, "--log-level", "notice", "--message-rate", "1000000", *extra]
        if db_url:
            args += ["--database-url", db_url, "--node-id", name]
            if lease is not None:
                args += ["--lease-seconds", str(lease)]
        self.logfile = open(self.log, "w")
        self.proc = subprocess.Popen(args, stdout=self.logfile, stderr=subprocess.STDOUT)
        self.port = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            with open(self.log) as f:
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
                break
            time.sleep(0.05)
        if self.port is None:
            self.stop()
            raise RuntimeError(f"{name} did not start: {open(self.log).read()[-500:]}")

    @property
    def pid(self):
        return self.proc.pid

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.logfile.close()


def curl_post(url, timeout=5.0):
    """(status, seconds to first byte) of one POST on a fresh connection."""
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-X", "POST", "--max-time", str(timeout), "-w", "%{http_code} %{time_starttransfer}", url],
        capture_output=True, text=True, timeout=timeout + 5,
    )
    code, ttfb = out.stdout.split()
    return int(code), float(ttfb)


def percentile(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]


# MARK: - fanout

HOLDER = r"""
import asyncio, sys
from websockets.asyncio.client import connect
async def main():
    async with connect(sys.argv[1], max_size=None, max_queue=None) as ws:
        print("joined", flush=True)
        try:
            async with asyncio.timeout(float(sys.argv[2])):
                async for _ in ws:
                    pass
        except TimeoutError:
            pass
asyncio.run(main())
"""


def fanout(args):
    work = tempfile.mkdtemp(prefix="cluster-fanout-")
    nodes, holder = [], None
    db = FreshDatabase(args.pg_url) if args.mode != "sqlite" else None
    try:
        if db:
            db.__enter__()
            a = Node(work, "a", db.url)
            b = Node(work, "b", db.url)
            nodes = [a, b]
        else:
            a = Node(work, "a")
            b = None
            nodes = [a]
        # The holder joins through A first: the room is created on A, whose lease it then holds.
        room = "room-0"
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, f"ws://127.0.0.1:{a.port}/parties/chat/{room}", str(args.timeout + 60)],
            stdout=subprocess.PIPE, text=True,
        )
        line = holder.stdout.readline().strip()
        if line != "joined":
            raise RuntimeError("the holder client could not join")
        owner = psql(db.url, f"SELECT node_id FROM party_room_leases WHERE room = '{room}'") if db else "a (single node)"
        target = b if args.mode == "forward" else a
        cpu0 = {n.name: cpu_seconds(n.pid) for n in nodes}
        t0 = time.monotonic()
        top = []
        lg = subprocess.Popen(
            [LOADGEN, "fanout", "--url", f"ws://127.0.0.1:{target.port}/parties/chat/room-{{i}}", "--rooms", "1",
             "--clients", str(args.clients), "--senders", "1", "--messages", str(args.messages), "--bytes", "64",
             "--warmup-messages", str(args.messages // 10), "--timeout", str(args.timeout)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        # One `top` snapshot a few seconds into the run: which process uses the CPU.
        def snapshot():
            time.sleep(args.top_after)
            if lg.poll() is None:
                pids = ",".join(str(p) for p in [*(n.pid for n in nodes), lg.pid])
                out = subprocess.run(["top", "-b", "-n", "1", "-d", "1", "-p", pids], capture_output=True, text=True, timeout=10).stdout
                top.append(out)
        threading.Thread(target=snapshot, daemon=True).start()
        stdout, stderr = lg.communicate(timeout=args.timeout + 60)
        wall = time.monotonic() - t0
        result = next((json.loads(l) for l in stdout.splitlines() if l.startswith("{")), None)
        cpu = {n.name: round(cpu_seconds(n.pid) - cpu0[n.name], 2) for n in nodes}
        owner_after = psql(db.url, f"SELECT node_id FROM party_room_leases WHERE room = '{room}'") if db else owner
        print(json.dumps({
            "bench": "fanout", "mode": args.mode, "owner_before": owner, "owner_after": owner_after,
            "ok": bool(result and result.get("ok")),
            "delivered_per_second": result and result.get("delivered_per_second"),
            "latency_us": result and result.get("latency_us"),
            "lost": result and result.get("lost"), "disconnected": result and result.get("disconnected"),
            "loadgen_cpu_utilization": result and result.get("loadgen_cpu_utilization"),
            "measure_wall_seconds": result and result.get("loadgen_measure_wall_seconds"),
            "node_cpu_seconds_whole_run": cpu, "run_wall_seconds": round(wall, 2),
            "loadgen_stderr_tail": None if result and result.get("ok") else stderr[-400:],
        }), flush=True)
        if top:
            print(top[0], file=sys.stderr)
    finally:
        if holder and holder.poll() is None:
            holder.terminate()
            holder.wait(timeout=10)
        for n in nodes:
            n.stop()
        if db:
            db.__exit__(None, None, None)
        shutil.rmtree(work, ignore_errors=True)


# MARK: - activation

def activation(args):
    work = tempfile.mkdtemp(prefix="cluster-activation-")
    tag = "".join(random.choice(string.ascii_lowercase) for _ in range(6))
    try:
        for mode in args.modes.split(","):
            nodes, db = [], None
            try:
                if mode == "sqlite":
                    nodes = [Node(work, "a")]
                else:
                    db = FreshDatabase(args.pg_url).__enter__()
                    nodes = [Node(work, "a", db.url)]
                    if mode == "forward":
                        nodes.append(Node(work, "b", db.url))
                a = nodes[0]
                rooms = args.rooms * (2 if mode == "forward" else 1)
                samples, bad, codes = {}, 0, {}
                for i in range(rooms):
                    name = f"act-{tag}-{mode}-{i}"
                    # forward: every request goes to B; B places the new room on the less loaded
                    # of the two nodes, so about half of them are forwarded to A and activated there.
                    code, ttfb = curl_post(nodes[-1].url(f"/parties/counter/{name}"))
                    if code == 200:
                        samples[name] = ttfb * 1000
                    else:
                        bad += 1
                        codes[str(code)] = codes.get(str(code), 0) + 1
                owner = {}
                if db:
                    for row in psql(db.url, "SELECT room, node_id FROM party_room_leases").splitlines():
                        room, node = row.split("|")
                        owner[room] = node
                groups = {}
                for name, ms in samples.items():
                    where = owner.get(name, "a") if db else "a"
                    label = {"sqlite": "sqlite", "postgres": "postgres"}.get(mode) or (
                        "forward: B -> owner A" if where == "a" else "forward: placed on B (local)")
                    groups.setdefault(label, []).append(ms)
                for label, values in groups.items():
                    print(json.dumps({
                        "bench": "activation", "mode": label, "rooms": len(values), "not_200": bad, "not_200_codes": codes,
                        "p50_ms": round(percentile(values, 0.5), 3), "p99_ms": round(percentile(values, 0.99), 3),
                        "mean_ms": round(sum(values) / len(values), 3), "max_ms": round(max(values), 3),
                    }), flush=True)
            finally:
                for n in nodes:
                    n.stop()
                if db:
                    db.__exit__(None, None, None)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# MARK: - failover

def failover(args):
    work = tempfile.mkdtemp(prefix="cluster-failover-")
    try:
        for rep in range(args.repeat):
            nodes = []
            with FreshDatabase(args.pg_url) as db:
                try:
                    a = Node(work, f"a{rep}", db.url, args.lease_seconds)
                    b = Node(work, f"b{rep}", db.url, args.lease_seconds)
                    nodes = [a, b]
                    room = f"fo-{rep}"
                    code, _ = curl_post(a.url(f"/parties/counter/{room}"))
                    owner = psql(db.url, f"SELECT node_id FROM party_room_leases WHERE room = '{room}'")
                    code_b, _ = curl_post(b.url(f"/parties/counter/{room}"))  # forwarded while A lives
                    time.sleep(args.settle)
                    killed = time.monotonic()
                    a.kill9()
                    bound = 4 * args.lease_seconds + 10
                    polls, first, codes = 0, None, {}
                    while time.monotonic() - killed < bound:
                        polls += 1
                        try:
                            c, _ = curl_post(b.url(f"/parties/counter/{room}"), timeout=2)
                        except Exception:  # noqa: BLE001 - a timed-out poll counts as a failure
                            c = 0
                        codes[c] = codes.get(c, 0) + 1
                        if c == 200:
                            first = time.monotonic() - killed
                            break
                        time.sleep(0.05)
                    owner_after = psql(db.url, f"SELECT node_id FROM party_room_leases WHERE room = '{room}'")
                    print(json.dumps({
                        "bench": "failover", "lease_seconds": args.lease_seconds, "rep": rep + 1,
                        "created_on_a": code, "owner_before": owner, "forwarded_before_kill": code_b,
                        "seconds_to_first_200": round(first, 3) if first is not None else None,
                        "bound_2x_lease": 2 * args.lease_seconds, "polls": polls, "codes": codes,
                        "owner_after": owner_after,
                    }), flush=True)
                finally:
                    for n in nodes:
                        n.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


# MARK: - puts

PUTS = {
    "p1": "--rooms 1 --clients 1 --incs 2000 --warmup-incs 100 --verify-stored",
    "p10": "--rooms 1 --clients 10 --incs 500 --warmup-incs 20 --verify-stored",
    "p1000": "--rooms 1000 --clients 1 --incs 100 --warmup-incs 5 --verify-stored",
    # p1000 with a fifth of the increments: 100,000 puts at PostgreSQL's ~1,000 puts/s would not
    # fit the 90 s bound.
    "p1000s": "--rooms 1000 --clients 1 --incs 20 --warmup-incs 2 --verify-stored",
}


def puts(args):
    work = tempfile.mkdtemp(prefix="cluster-puts-")
    db, node = None, None
    try:
        if args.backend == "postgres":
            db = FreshDatabase(args.pg_url).__enter__()
        node = Node(work, "a", db.url if db else None, extra=["--hibernate-after", "2"])
        out = subprocess.run(
            [LOADGEN, "counter", "--url", f"ws://127.0.0.1:{node.port}/parties/counter/room-{{i}}", "--server-pid", str(node.pid),
             *PUTS[args.scenario].split(), "--timeout", "90"],
            capture_output=True, text=True, timeout=150,
        )
        r = next((json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")), None)
        print(json.dumps({
            "bench": "puts", "scenario": args.scenario, "backend": args.backend, "ok": bool(r and r.get("ok")),
            "puts_per_second": r and r.get("puts_per_second"), "latency_us": r and r.get("latency_us"),
            "server_cores": r and r.get("server_cpu_utilization"), "loadgen_cores": r and r.get("loadgen_cpu_utilization"),
            "stored": r and r.get("stored"), "storage": r and r.get("storage"),
            "stderr_tail": None if r and r.get("ok") else out.stderr[-400:],
        }), flush=True)
    finally:
        if node:
            node.stop()
        if db:
            db.__exit__(None, None, None)
        if os.environ.get("KEEP_LOGS"):
            print(f"server log kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fanout")
    f.add_argument("--pg-url", required=True)
    f.add_argument("--mode", choices=["sqlite", "owner", "forward"], required=True)
    f.add_argument("--clients", type=int, default=1000)
    f.add_argument("--messages", type=int, default=2000)
    f.add_argument("--timeout", type=int, default=150)
    f.add_argument("--top-after", type=float, default=6)
    a = sub.add_parser("activation")
    a.add_argument("--pg-url", required=True)
    a.add_argument("--rooms", type=int, default=200)
    a.add_argument("--modes", default="sqlite,postgres,forward")
    o = sub.add_parser("failover")
    o.add_argument("--pg-url", required=True)
    o.add_argument("--lease-seconds", type=float, default=10)
    o.add_argument("--repeat", type=int, default=3)
    o.add_argument("--settle", type=float, default=1.0)
    u = sub.add_parser("puts")
    u.add_argument("--pg-url", required=True)
    u.add_argument("--scenario", choices=list(PUTS), required=True)
    u.add_argument("--backend", choices=["sqlite", "postgres"], required=True)
    args = p.parse_args()
    {"fanout": fanout, "activation": activation, "failover": failover, "puts": puts}[args.command](args)


if __name__ == "__main__":
    main()
