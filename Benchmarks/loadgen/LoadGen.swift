import ArgumentParser

@main
struct LoadGen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadgen",
        abstract: "WebSocket load generator for PartyServer rooms (loopback only).",
        discussion: """
            Every run is bounded in count and time, prints exactly one JSON line on stdout \
            (progress and diagnostics go to stderr) and exits with status 1 if the run failed \
            its own checks ("ok": false).
            """,
        subcommands: [Fanout.self, Connect.self, CounterBench.self, WakeBench.self, MemoryBench.self, LoguxBench.self, YjsBench.self, YjsDocBench.self]
    )
}
