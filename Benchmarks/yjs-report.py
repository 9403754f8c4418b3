#!/usr/bin/env python3
"""Prints the tables of Benchmarks/run-yjs from its results file (JSON lines)."""
import json
import statistics
import sys


def number(value, decimals=0):
    """`value` with thousands separators and `decimals` decimals, or "-" when missing."""
    if value is None:
        return "-"
    return f"{value:,.{decimals}f}"


def ms(block, *keys):
    """A latency block's percentiles in milliseconds, joined with " / "."""
    if not block or block.get("p50") is None:
        return "-"
    return " / ".join(f"{block[key] / 1000:,.1f}" for key in keys)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main(path):
    machine, runs, stored, inproc = None, [], {}, []
    for raw in open(path):
        line = json.loads(raw)
        kind = line["type"]
        if kind == "machine":
            machine = line
        elif kind == "stored":
            stored[line["scenario"]] = line
        elif kind == "inproc":
            inproc.append(line)
        else:
            runs.append(line)
    if machine:
        print(f"{machine['date']}, {machine['mode']}: {machine['nproc']} cores, {machine['mem_total_mib']} MiB, "
              f"{machine['cpu_model']}; {machine['swift']}; CPU busy before the runs: {machine['cpu_busy_percent_at_start']}%")
        changes = " ".join(machine.get("uncommitted_changes") or [])
        print(f"commit {machine.get('commit', '?')}" + (f" with uncommitted changes in: {changes}" if changes else ""))
        print()
    throughput(runs)
    documents(runs, stored)
    memory(runs)
    in_process(inproc)


def throughput(runs):
    """Windowed and paced editing: yjs against chat with the same editors."""
    groups, order = {}, []
    for run in runs:
        if run.get("kind") != "throughput":
            continue
        if run["scenario"] not in groups:
            groups[run["scenario"]] = []
            order.append(run["scenario"])
        groups[run["scenario"]].append(run)
    if not order:
        return

    def row(run):
        lg = run.get("loadgen") or {}
        metrics = run.get("server_metrics") or {}
        return {"ok": run["ok"], "room": run["room"], "editors": lg.get("editors"), "updates": lg.get("updates_per_second"),
                "deliveries": lg.get("deliveries_per_second"), "latency": lg.get("latency_us"),
                "cores": lg.get("server_cpu_utilization"), "cpu": metrics.get("cpu_seconds"), "rss": metrics.get("peak_rss_kib"),
                "lg": lg.get("loadgen_cpu_utilization"), "paced": lg.get("pacing") == "rate", "rate": lg.get("rate_per_editor"),
                "other": (run.get("machine_during_run") or {}).get("other_cores")}

    def median_row(rows):
        good = sorted((r for r in rows if r["ok"] and r["updates"]), key=lambda r: r["updates"])
        return good[(len(good) - 1) // 2] if good else None

    chat = {}
    for scenario in order:
        best = median_row([row(r) for r in groups[scenario]])
        if best and best["room"] == "chat":
            chat[(best["editors"], best["paced"])] = best["updates"]
    for paced in (False, True):
        scenarios = [s for s in order if row(groups[s][0])["paced"] == paced]
        if not scenarios:
            continue
        if not paced:
            print(f"{'scen':<9} {'room':<5} {'editors':>7} {'runs':>4} {'updates/s (min-max)':>29} {'deliveries/s':>13} {'vs chat':>8} "
                  f"{'latency p50/p99 ms':>19} {'srv cores':>9} {'srv CPU s':>9} {'RSS MiB':>7} {'LG cores':>8} {'other':>5}  status")
        else:
            print(f"{'scen':<9} {'room':<5} {'editors':>7} {'offered/s':>9} {'updates/s':>9} {'deliveries/s':>12} "
                  f"{'latency p50/p99/p999/max ms':>28} {'srv cores':>9} {'RSS MiB':>7} {'LG cores':>8}  status")
        for scenario in scenarios:
            rows = [row(r) for r in groups[scenario]]
            best = median_row(rows)
            failed = sum(1 for r in rows if not r["ok"])
            status = "ok" if not failed else f"{failed} FAILED"
            first = rows[0]
            if best is None:
                print(f"{scenario:<9} {first['room']:<5} {number(first['editors']):>7}  (no successful run)  {status}")
                continue
            good = [r["updates"] for r in rows if r["ok"] and r["updates"]]
            if not paced:
                ratio = best["updates"] / chat[(best["editors"], False)] if chat.get((best["editors"], False)) else None
                spread = f"{number(best['updates'], 1)} ({number(min(good), 1)}-{number(max(good), 1)})"
                print(f"{scenario:<9} {best['room']:<5} {number(best['editors']):>7} {len(rows):>4} {spread:>29} "
                      f"{number(best['deliveries']):>13} {(f'{ratio:.3f}x' if ratio else '-'):>8} {ms(best['latency'], 'p50', 'p99'):>19} "
                      f"{number(best['cores'], 2):>9} {number(best['cpu'], 1):>9} {number((best['rss'] or 0) / 1024, 1):>7} "
                      f"{number(best['lg'], 2):>8} {number(best['other'], 2):>5}  {status}")
            else:
                offered = (best["rate"] or 0) * (best["editors"] or 0)
                print(f"{scenario:<9} {best['room']:<5} {number(best['editors']):>7} {number(offered):>9} {number(best['updates'], 1):>9} "
                      f"{number(best['deliveries']):>12} {ms(best['latency'], 'p50', 'p99', 'p999', 'max'):>28} "
                      f"{number(best['cores'], 2):>9} {number((best['rss'] or 0) / 1024, 1):>7} {number(best['lg'], 2):>8}  {status}")
        print()


def documents(runs, stored):
    """Build through the room, then wake after restarts."""
    builds, wakes, order = {}, {}, []
    for run in runs:
        if run.get("kind") != "doc":
            continue
        key = run["scenario"]
        if key not in order:
            order.append(key)
        if run["step"] == "build":
            builds[key] = run
        else:
            wakes.setdefault(key, []).append(run)
    if not order:
        return
    print(f"{'room':<13} {'updates':>7} {'clients':>7} {'build s':>7} {'updates/s':>9} {'fwd p50/p99 ms':>14} {'data KiB':>8} "
          f"{'stored: updates + snapshot KiB':>30} {'live s1/s2 ms':>13} {'wake step1 ms (min-max)':>23} {'wake step2 ms':>13} "
          f"{'step2 KiB':>9} {'warm: empty s2 | s1/s2 ms':>25} {'srv start ms':>12}  status")
    for key in order:
        build = builds.get(key)
        rounds = wakes.get(key, [])
        first = build or rounds[0]
        lg = (build or {}).get("loadgen") or {}
        live = lg.get("live_sync") or {}
        cold = [r for r in rounds if not r.get("warm_first")]
        warm = [r for r in rounds if r.get("warm_first") and r["ok"]]
        wake_syncs = [((r.get("loadgen") or {}).get("wake_sync") or {}) for r in cold if r["ok"]]
        step1 = [w.get("step1_ms") for w in wake_syncs]
        step2 = [w.get("step2_ms") for w in wake_syncs]
        starts = [(r.get("server_metrics") or {}).get("start_ms") for r in rounds]
        warm_text = "-"
        if warm:
            lgw = warm[0].get("loadgen") or {}
            empty, doc = lgw.get("empty_room_sync") or {}, lgw.get("wake_sync") or {}
            warm_text = f"{number(empty.get('step2_ms'), 1)} | {number(doc.get('step1_ms'), 1)}/{number(doc.get('step2_ms'), 1)}"
        failed = sum(1 for r in ([build] if build else []) + rounds if not r["ok"])
        status = "ok" if not failed else f"{failed} FAILED"
        spread = f"{number(median(step1), 1)} ({number(min(step1), 1)}-{number(max(step1), 1)})" if step1 else "-"
        step2_bytes = wake_syncs[0].get("step2_bytes") if wake_syncs else live.get("step2_bytes")
        live_text = f"{number(live.get('step1_ms'), 1)}/{number(live.get('step2_ms'), 1)}" if live else "-"
        kept = stored.get(key) or {}
        kept_text = "-"
        if kept.get("stored_updates_keys") is not None:
            kept_text = (f"{number(kept['stored_updates_keys'])} ({number(kept['stored_updates_bytes'] / 1024)}) + "
                         f"{number(kept['stored_snapshot_keys'])} ({number(kept['stored_snapshot_bytes'] / 1024)})")
        print(f"{first['room']:<13} {number(first['updates']):>7} {first['clients']:>7} {number(lg.get('build_seconds'), 2):>7} "
              f"{number(lg.get('updates_per_second')):>9} {ms(lg.get('forward_latency_us'), 'p50', 'p99'):>14} "
              f"{number((kept.get('data_dir_bytes') or 0) / 1024):>8} {kept_text:>30} {live_text:>13} {spread:>23} {number(median(step2), 1):>13} "
              f"{number((step2_bytes or 0) / 1024):>9} {warm_text:>25} {number(median(starts)):>12}  {status}")
    print("(wake: server restarted on the build's data, the document's room is the process's first, median of the rounds;"
          " warm: one more restart, an empty room synced first, then the document's)")
    print()


def memory(runs):
    """A seeded document loaded after a restart: RSS and heap before and after."""
    rows = [r for r in runs if r.get("kind") == "memory"]
    if not rows:
        return
    print(f"{'document':<14} {'step2 KiB':>9} {'create ms':>9} {'RSS before':>10} {'RSS loaded':>10} {'dRSS MiB':>8} "
          f"{'heap before':>11} {'heap loaded':>11} {'dheap MiB':>9} {'dheap/step2':>11} {'wake s1/s2 ms':>14}  status")
    creates = {r["document"]: r for r in rows if r["step"] == "create"}
    for run in rows:
        if run["step"] != "load":
            continue
        lg = run.get("loadgen") or {}
        before = lg.get("memory_before") or {}
        loaded = lg.get("memory_loaded") or {}
        sync = lg.get("wake_sync") or {}
        create = ((creates.get(run["document"]) or {}).get("loadgen") or {}).get("wake_sync") or {}
        mib = lambda kib: number(kib / 1024, 1) if kib is not None else "-"
        heap = lambda b: number(b / 1048576, 1) if b is not None else "-"
        d_rss = (loaded.get("rss_kib") - before.get("rss_kib")) if loaded.get("rss_kib") and before.get("rss_kib") else None
        d_heap = (loaded.get("malloc_in_use_bytes") - before.get("malloc_in_use_bytes")) \
            if loaded.get("malloc_in_use_bytes") is not None and before.get("malloc_in_use_bytes") is not None else None
        ratio = d_heap / sync["step2_bytes"] if d_heap is not None and sync.get("step2_bytes") else None
        status = "ok" if run["ok"] and (creates.get(run["document"]) or {}).get("ok") else "FAILED"
        print(f"{run['document']:<14} {number((sync.get('step2_bytes') or 0) / 1024):>9} {number(create.get('step2_ms')):>9} "
              f"{mib(before.get('rss_kib')):>10} {mib(loaded.get('rss_kib')):>10} {mib(d_rss):>8} "
              f"{heap(before.get('malloc_in_use_bytes')):>11} {heap(loaded.get('malloc_in_use_bytes')):>11} {heap(d_heap):>9} "
              f"{number(ratio, 2):>11} {number(sync.get('step1_ms'), 1) + '/' + number(sync.get('step2_ms'), 1):>14}  {status}")
    print("(RSS and heap in MiB; heap = glibc mallinfo2 in-use bytes after malloc_trim; loaded = the first client still connected)")
    print()


def in_process(lines):
    """yjs-doc-bench: heap per document and codec times without a server."""
    memory_lines = [l for l in lines if l.get("measure") == "memory"]
    if memory_lines:
        print(f"{'document (in process)':<26} {'chars':>9} {'structs':>9} {'encoded KiB':>11} {'B/char':>6} {'heap typed KiB':>14} "
              f"{'heap loaded KiB':>15} {'heap/encoded':>12} {'B/struct':>8} {'load ms':>8} {'load peak RSS +KiB':>18}")
        for l in memory_lines:
            print(f"{l['shape']:<26} {number(l['characters']):>9} {number(l['structs']):>9} {number(l['encoded_bytes'] / 1024):>11} "
                  f"{number(l['encoded_bytes_per_char'], 2):>6} {number(l['heap_typed_bytes'] / 1024):>14} "
                  f"{number(l['heap_loaded_bytes'] / 1024):>15} {number(l['heap_loaded_per_encoded_byte'], 2):>12} "
                  f"{number(l['heap_loaded_per_struct'], 1):>8} {number(l['load_seconds'] * 1000, 1):>8} "
                  f"{number(l['load_peak_rss_growth_bytes'] / 1024 if l.get('load_peak_rss_growth_bytes', -1) >= 0 else None):>18}")
        print()
    timing_lines = [l for l in lines if l.get("measure") == "timings"]
    if timing_lines:
        print(f"{'history (in process)':<22} {'apply each us/update':>20} {'apply all ms':>12} {'encode ms':>9} {'load snapshot ms':>16} {'encoded KiB':>11}")
        for l in timing_lines:
            name = f"{l['updates']:,} x {l['clients']} client{'s' if l['clients'] > 1 else ''}"
            print(f"{name:<22} {number(l['apply_each_us_per_update'], 2):>20} {number(l['apply_each_seconds'] * 1000, 1):>12} "
                  f"{number(l['encode_seconds'] * 1000, 2):>9} {number(l['load_snapshot_seconds'] * 1000, 1):>16} "
                  f"{number(l['encoded_bytes'] / 1024):>11}")
        print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Benchmarks/results/yjs-latest.jsonl")
