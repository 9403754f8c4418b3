#!/usr/bin/env python3
"""Prints the tables of Benchmarks/run-durable from its JSONL results (argument: the file)."""
import json
import sys


def render(header, rows, left=2):
    """Aligned columns: the first `left` columns left-aligned, the rest right-aligned."""
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i]) for i in range(len(header))]
    def line(cells):
        return "  ".join(c.ljust(widths[i]) if i < left or i == len(cells) - 1 else c.rjust(widths[i]) for i, c in enumerate(cells)).rstrip()
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def num(value, digits=0):
    """A number with thousands separators, or '-'."""
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def us(value):
    """Microseconds, one decimal below 100."""
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def server_arg(run, flag):
    """The value the server was started with for `flag`, or None."""
    words = (run.get("server_args") or "").split()
    return words[words.index(flag) + 1] if flag in words[:-1] else None


def status(run, notes):
    """ok / FAILED plus notes (also when other processes used the CPU during the run)."""
    other = (run.get("machine_during_run") or {}).get("other_cores")
    if other is not None and other > 0.3:
        notes = notes + [f"other processes used {other:.2f} cores"]
    return " ".join(["ok" if run["ok"] else "FAILED"] + notes)


def median(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def compare(machine, puts):
    """With --baseline: medians per scenario and build, and current / baseline."""
    baseline = machine.get("baseline")
    if not baseline or not any(r.get("build") == "baseline" for r in puts):
        return
    print()
    print(f"Current build ({machine.get('current_build', '?')}) against the baseline {baseline['ref']} "
          f"({baseline['commit']}), measured alternately in this run (medians of the runs of each build):")
    rows = []
    for scenario in sorted({r["scenario"] for r in puts}, key=lambda s: int(s[1:]) if s[1:].isdigit() else 0):
        figures = {}
        for build in ("baseline", "current"):
            mine = [r for r in puts if r["scenario"] == scenario and r.get("build", "current") == build and r["ok"]]
            lgs = [r.get("loadgen") or {} for r in mine]
            figures[build] = (
                len(mine), median([lg.get("puts_per_second") for lg in lgs]),
                median([(lg.get("latency_us") or {}).get("p50") for lg in lgs]),
                median([(lg.get("latency_us") or {}).get("p99") for lg in lgs]),
                median([(lg.get("storage") or {}).get("writes_per_commit") for lg in lgs]),
            )
        (bn, bput, bp50, bp99, bwpc), (cn, cput, cp50, cp99, cwpc) = figures["baseline"], figures["current"]
        ratio = f"{cput / bput:.2f}x" if bput and cput else "-"
        rows.append([f"({scenario})", f"{bn}/{cn}", num(bput), num(cput), ratio, us(bp50), us(cp50), us(bp99), us(cp99),
                     num(bwpc, 1), num(cwpc, 1)])
    render(["scen", "runs b/c", "baseline puts/s", "current puts/s", "current/baseline", "p50 us b", "p50 us c",
            "p99 us b", "p99 us c", "writes/commit b", "writes/commit c"], rows, left=1)


def main():
    lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    machine = next(l for l in lines if l["type"] == "machine")
    runs = [l for l in lines if l["type"] == "run"]
    disk = machine.get("disk") or {}
    flush, sqlite = disk.get("fdatasync_4k") or {}, disk.get("sqlite_wal_full_commit") or {}
    print(f"PartyServer durable-rooms benchmark ({machine['mode']}) - {machine['date']}")
    print(f"machine: {machine['nproc']} cores, {machine['mem_total_mib']} MiB, {machine['cpu_model']}, Linux {machine['kernel']}")
    print(f"tools:   {machine['swift']}; data on {machine['filesystem']}; open-file limit {machine['open_file_limit']}")
    print(f"disk:    4 KiB append + fdatasync p50 {us(flush.get('p50_us'))} us, p99 {us(flush.get('p99_us'))} us; "
          f"SQLite {disk.get('sqlite', '?')} WAL synchronous=FULL 1-row commit p50 {us(sqlite.get('p50_us'))} us, "
          f"p99 {us(sqlite.get('p99_us'))} us, mean {us(sqlite.get('mean_us'))} us")
    print(f"CPU busy before the runs {machine.get('cpu_busy_percent_at_start', '?')}% (load average {machine.get('load_average_at_start', '?')}); "
          "server and loadgen share the machine (no pinning)")

    puts = [r for r in runs if r["kind"] == "counter"]
    if puts:
        print()
        print("Durable puts: counter room, closed-loop clients (each inc is put, fsync'd, then broadcast)")
        rows = []
        for run in puts:
            lg = run.get("loadgen") or {}
            lat = lg.get("latency_us") or {}
            st = lg.get("storage") or {}
            stored = lg.get("stored") or {}
            notes = []
            if lg.get("out_of_order"):
                notes.append(f"{lg['out_of_order']} counts out of order")
            if stored.get("behind"):
                notes.append(f"{stored['behind']} rooms stored < seen")
            if (lg.get("loadgen_cpu_utilization") or 0) > 0.9:
                notes.append("LG-bound")
            rows.append([
                f"({run['scenario']})", run.get("build", "current"), f"{lg.get('rooms', '?')} x {lg.get('clients_per_room', '?')}",
                num(lg.get("puts_per_second")), us(lat.get("p50")), us(lat.get("p99")), us(lat.get("p999")),
                num(st.get("commits")), num(st.get("writes_per_commit"), 1),
                num(st.get("commit_ms_mean"), 2), num(st.get("commit_busy_fraction"), 2),
                num(lg.get("server_cpu_utilization"), 2), num(lg.get("loadgen_cpu_utilization"), 2),
                f"{stored.get('matched', '-')}/{stored.get('rooms', '-')}", status(run, notes),
            ])
        render(["scen", "build", "rooms x clients", "puts/s", "p50 us", "p99 us", "p99.9 us", "commits", "writes/commit",
                "commit ms", "commit busy", "server cores", "LG cores", "stored ok", "status"], rows)
        print("p50/p99: send inc -> own count received. commits, writes/commit, commit ms (mean), commit busy (share")
        print("of the time a commit ran): from GET /metrics over the measured window. stored ok: rooms whose count read")
        print("back from storage after hibernation equals the last count broadcast.")
        compare(machine, puts)

    wakes = [r for r in runs if r["kind"] == "wake"]
    if wakes:
        print()
        print("Wake latency: message -> reply, one request at a time")
        rows = []
        for run in wakes:
            lg = run.get("loadgen") or {}
            wake, live = lg.get("wake_latency_us") or {}, lg.get("live_latency_us") or {}
            ratio = wake["p50"] / live["p50"] if wake.get("p50") and live.get("p50") else None
            after = server_arg(run, "--hibernate-after-ms") or "?"
            rows.append([
                f"({run['scenario']})", f"{lg.get('rooms', '?')} x {lg.get('rounds', '?')}",
                num((lg.get("state_bytes") or 0) / 1024) + " KiB", f"{after} ms",
                us(wake.get("p50")), us(wake.get("p99")), us(wake.get("p999")), us(wake.get("max")),
                us(live.get("p50")), us(live.get("p99")), us(live.get("p999")),
                "-" if ratio is None else f"{ratio:.1f}x", num(wake.get("samples")), status(run, []),
            ])
        render(["scen", "rooms x rounds", "snapshot", "hibernate after", "wake p50 us", "p99", "p99.9", "max", "live p50 us", "p99", "p99.9",
                "wake/live p50", "samples", "status"], rows)
        print("wake: the first message to a room GET /metrics reported hibernated (snapshot read and JSON-decoded,")
        print("new actor, onStart, onMessage); live: a second message right after, to the same room.")

    mems = [r for r in runs if r["kind"] == "memory"]
    if mems:
        print()
        print("Server memory: rooms x 1 open connection each, live vs hibernated (VmRSS from /proc)")
        rows = []
        for run in mems:
            lg = run.get("loadgen") or {}
            empty, live, hib, trim = (lg.get(k) or {} for k in ("empty", "live", "hibernated", "hibernated_after_trim"))
            mib = lambda p: None if p.get("rss_kib") is None else p["rss_kib"] / 1024
            heap = lambda p: None if p.get("malloc_in_use_bytes") is None else p["malloc_in_use_bytes"] / 1048576
            rows.append([
                f"({run['scenario']})", f"{num(lg.get('rooms'))} x {num((lg.get('state_bytes') or 0) / 1024)} KiB",
                num(mib(empty), 1), num(mib(live), 1), num(mib(hib), 1), num(mib(trim), 1),
                num(live.get("rss_bytes_per_room")), num(hib.get("rss_bytes_per_room")),
                num(lg.get("rss_ratio_hibernated_to_live"), 3),
                num(heap(live), 1), num(heap(hib), 1),
                num(live.get("malloc_in_use_bytes_per_room")), num(hib.get("malloc_in_use_bytes_per_room")),
                num((run.get("server_metrics") or {}).get("stop_seconds"), 1), status(run, []),
            ])
        render(["scen", "rooms x state", "RSS empty MiB", "live MiB", "hibernated MiB", "after trim MiB",
                "B/room live", "B/room hib", "hib/live", "heap live MiB", "heap hib MiB", "heap B/room live",
                "heap B/room hib", "stop s", "status"], rows)
        print("B/room: (RSS - RSS of the empty server) / rooms, connection included. heap: glibc mallinfo2 bytes in use.")
        print("after trim: RSS once the hibernated server called malloc_trim(0). stop s: SIGTERM to exit, sent right")
        print("after the load generator closed every connection (each close wakes its hibernated room to run onClose).")

    print()
    print("A status note 'other processes used N cores' means the machine's CPU time during that run exceeded the")
    print("server's and the load generator's by N cores on average (kernel threads such as the disk journal count too).")
    for run in runs:
        if not run["ok"]:
            lg = run.get("loadgen") or {}
            print(f"FAILED ({run['scenario']}): {run.get('failure') or lg.get('error') or 'loadgen reported ok: false'}")


if __name__ == "__main__":
    main()
