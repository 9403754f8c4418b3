#!/usr/bin/env python3
"""Prints the tables of Benchmarks/run-logux from its results file (JSON lines)."""
import json
import sys


def number(value, decimals=0):
    """`value` with thousands separators and `decimals` decimals, or "-" when missing."""
    if value is None:
        return "-"
    return f"{value:,.{decimals}f}"


def latency(block):
    """A latency block's p50 and p99 in milliseconds, "p50 / p99"."""
    if not block or block.get("p50") is None:
        return "-"
    return f"{block['p50'] / 1000:,.1f} / {block['p99'] / 1000:,.1f}"


def main(path):
    """Reads the results file at `path` and prints the throughput and resend tables."""
    machine, runs = None, []
    for raw in open(path):
        line = json.loads(raw)
        if line["type"] == "machine":
            machine = line
        else:
            runs.append(line)
    if machine:
        print(f"{machine['date']}, {machine['mode']}: {machine['nproc']} cores, {machine['mem_total_mib']} MiB, "
              f"{machine['cpu_model']}; {machine['swift']}; CPU busy before the runs: {machine['cpu_busy_percent_at_start']}%")
        changes = " ".join(machine.get("uncommitted_changes") or [])
        print(f"commit {machine.get('commit', '?')}" + (f" with uncommitted changes in: {changes}" if changes else ""))
        print()

    # Throughput: chat and logux side by side, medians over the repeated runs, and the ratio of
    # deliveries per second against chat with the same number of receivers.
    rows, order = {}, []
    for run in runs:
        lg = run.get("loadgen") or {}
        if run["kind"] == "fanout":
            subs = (lg.get("clients") or 1) - 1
            deliveries = lg.get("delivered_per_second")
            row = {"room": "chat", "subs": subs, "deliveries": deliveries,
                   "actions": deliveries / subs if deliveries and subs else None,
                   "processed": None, "delivery": lg.get("latency_us"), "cores": None}
        elif lg.get("scenario") == "logux-throughput":
            row = {"room": "logux", "subs": lg.get("subscribers"), "deliveries": lg.get("deliveries_per_second"),
                   "actions": lg.get("actions_per_second"), "processed": lg.get("processed_latency_us"),
                   "delivery": lg.get("delivery_latency_us"), "cores": lg.get("server_cpu_utilization")}
        else:
            continue
        metrics = run.get("server_metrics") or {}
        row.update(ok=run["ok"], cpu=metrics.get("cpu_seconds"), rss=metrics.get("peak_rss_kib"),
                   lg=lg.get("loadgen_cpu_utilization"), other=(run.get("machine_during_run") or {}).get("other_cores"))
        if run["scenario"] not in rows:
            rows[run["scenario"]] = []
            order.append(run["scenario"])
        rows[run["scenario"]].append(row)

    def median_row(group):
        """The run whose deliveries per second is the median of the group's successful runs."""
        good = sorted((r for r in group if r["ok"] and r["deliveries"]), key=lambda r: r["deliveries"])
        return good[(len(good) - 1) // 2] if good else None

    chat = {}
    for scenario in order:
        best = median_row(rows[scenario])
        if best and best["room"] == "chat":
            chat[best["subs"]] = best["deliveries"]
    if order:
        print(f"{'scen':<10} {'room':<6} {'subs':>5} {'runs':>4} {'actions/s (min-max)':>30} {'deliveries/s':>13} {'vs chat':>8} "
              f"{'processed p50/p99 ms':>21} {'delivery p50/p99 ms':>20} {'srv cores':>9} {'srv CPU s':>9} "
              f"{'RSS MiB':>7} {'LG cores':>8}  status")
    for scenario in order:
        group = rows[scenario]
        best = median_row(group)
        failed = sum(1 for r in group if not r["ok"])
        status = "ok" if not failed else f"{failed} FAILED"
        if any((r["lg"] or 0) > 0.9 for r in group):
            status += " LG-bound"
        if any((r["other"] or 0) > 0.2 for r in group):
            status += " busy"
        if not best:
            print(f"{scenario:<10} {group[0]['room']:<6} {number(group[0]['subs']):>5} {len(group):>4}  {status}")
            continue
        actions = [r["actions"] for r in group if r["ok"] and r["actions"]]
        spread = f"{number(best['actions'], 1)} ({number(min(actions), 1)}-{number(max(actions), 1)})"
        base = chat.get(best["subs"])
        ratio = f"{best['deliveries'] / base:.3f}x" if base else "-"
        processed = latency(best["processed"]) if best["processed"] else "-"
        print(f"{scenario:<10} {best['room']:<6} {best['subs']:>5} {len(group):>4} {spread:>30} {number(best['deliveries']):>13} {ratio:>8} "
              f"{processed:>21} {latency(best['delivery']):>20} {number(best['cores'], 2):>9} {number(best['cpu'], 1):>9} "
              f"{number(best['rss'] / 1024 if best['rss'] else None, 1):>7} {number(best['lg'], 2):>8}  {status}")
    if order:
        print()
        print("Figures of the median run (by deliveries/s); actions/s range over all runs. actions/s: chat = messages/s")
        print("of the one sender; logux = counter/increment actions/s, each processed for the sender and received by")
        print("every subscriber (32 in flight). vs chat: deliveries/s against chat with as many receivers (medians).")
        print("srv cores: the server's CPU use while measuring (logux); srv CPU s: its CPU over the whole run.")
        print("LG cores: the load generator's CPU use while measuring; LG-bound = more than 0.9 of a core.")
        print("busy: in some run, other processes used more than 0.2 of a core (the figures may be low).")
        print()

    printed = False
    for run in runs:
        lg = run.get("loadgen") or {}
        if lg.get("scenario") != "logux-resend" and not (run["kind"] == "logux" and "resend" in run["scenario"]):
            continue
        if not printed:
            print(f"{'scen':<10} {'per sync':>8} {'missed':>7} {'rounds':>6} {'resend ms median (min-max)':>27} {'actions/s':>10} "
                  f"{'syncs':>6} {'KiB':>6} {'srv CPU s':>9} {'add actions/s':>13}  status")
            printed = True
        rounds = lg.get("round_results") or []
        per_sync = run["server_args"].split()[-1] if run["server_args"] else "-"
        median = lg.get("resend_seconds_median")
        spread = (f"{median * 1000:,.0f} ({lg['resend_seconds_min'] * 1000:,.0f}-{lg['resend_seconds_max'] * 1000:,.0f})"
                  if median is not None else "-")
        first = rounds[0] if rounds else {}
        cpu = [r["server_cpu_seconds"] for r in rounds if r.get("server_cpu_seconds") is not None]
        adds = [r["add_actions_per_second"] for r in rounds if r.get("add_actions_per_second")]
        other = (run.get("machine_during_run") or {}).get("other_cores") or 0
        print(f"{run['scenario']:<10} {per_sync:>8} {number(lg.get('actions')):>7} {number(lg.get('rounds')):>6} {spread:>27} "
              f"{number(lg.get('resend_actions_per_second')):>10} {number(first.get('sync_messages')):>6} "
              f"{number(first.get('bytes', 0) / 1024 if first else None):>6} "
              f"{number(sorted(cpu)[len(cpu) // 2] if cpu else None, 2):>9} {number(sorted(adds)[len(adds) // 2] if adds else None):>13}  "
              f"{'ok' if run['ok'] else 'FAILED'}{' busy' if other > 0.2 else ''}")
    if printed:
        print()
        print("resend: from sending connect (synced = the last added the subscriber received) until the last missed action")
        print("arrived, each exactly once; a room of its own per round. syncs, KiB: sync messages and bytes of one resend;")
        print("srv CPU s: the server's CPU during the resend (median); add actions/s: the sender adding them, 100 per sync.")


if __name__ == "__main__":
    main(sys.argv[1])
