import ArgumentParser
import Foundation
import PartyServer
import Synchronization

/// The server of the durable-rooms benchmarks (`Benchmarks/run-durable`): PartyServer with
/// `StateRoom` at `/parties/state/NAME` (hibernating, a state of `--state-bytes` kept through a
/// JSON snapshot, replies `MESSAGE|N`), `MemoryProbe` at `/parties/memory/probe`, the Logux
/// room `LoguxBench` at `/parties/logux-bench/NAME` (the Logux resend benchmark), and the Yjs
/// rooms `yjs-bench`, `yjs-nocompact` and `yjs-seeded` (`YjsBench.swift`, the Yjs document
/// benchmarks).
///
/// Prints only `listening on http://HOST:PORT` on stdout once bound (errors go to the log,
/// level error); stops gracefully on SIGTERM or SIGINT.
@main
struct DurableBenchServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "durable-bench-server",
        abstract: "PartyServer with a hibernating room of configurable state, for the durable-rooms benchmarks."
    )

    @Option(help: "Address to bind (loopback only).")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free port.")
    var port = 0

    @Option(help: ArgumentHelp("Directory for durable room data; created if missing.", valueName: "path"))
    var dataDir: String

    @Option(help: "Bytes of in-memory state per room, kept through hibernation in the snapshot.")
    var stateBytes = 65_536

    @Option(name: .customLong("hibernate-after-ms"), help: "Idle milliseconds before a room hibernates.")
    var hibernateAfterMs = 100

    @Option(name: .customLong("logux-max-actions-per-sync"), help: "The most actions one Logux sync carries in the logux-bench room.")
    var loguxMaxActionsPerSync = 1000

    /// Rejects values the benchmark cannot use.
    func validate() throws {
        guard host == "::1" || host == "localhost" || host.hasPrefix("127.") else {
            throw ValidationError("--host must be a loopback address, got \(host)")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard !dataDir.isEmpty else { throw ValidationError("--data-dir must not be empty") }
        guard (0...(1 << 20)).contains(stateBytes) else { throw ValidationError("--state-bytes must be between 0 and 1 MiB") }
        guard hibernateAfterMs >= 1 else { throw ValidationError("--hibernate-after-ms must be at least 1") }
        guard loguxMaxActionsPerSync >= 1 else { throw ValidationError("--logux-max-actions-per-sync must be at least 1") }
    }

    /// Registers the rooms and serves until SIGTERM or SIGINT.
    func run() async throws {
        StateRoom.stateBytes.store(stateBytes, ordering: .relaxed)
        LoguxBench.maxActionsPerSync.store(loguxMaxActionsPerSync, ordering: .relaxed)
        var logger = Logger(label: "durable-bench-server")
        logger.logLevel = .error
        var configuration = PartyConfiguration(host: host, port: port, dataDirectory: dataDir, serveDemoPage: false)
        // Measures capacity: one client may send as fast as it can, with the token bucket still on the path.
        configuration.limits.messageRate = MessageRate(perSecond: 1_000_000, burst: 2_000_000)
        let host = self.host
        let app = PartyApplication(configuration: configuration, logger: logger) { port in
            // Unbuffered: the benchmark script waits for this line in a file.
            FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
        }
        let options = ServerOptions(hibernate: true, hibernateAfter: .milliseconds(hibernateAfterMs))
        try app.register(StateRoom.self, as: "state", options: options)
        try app.register(MemoryProbe.self, as: "memory")
        try app.register(LoguxBench.self, as: "logux-bench")
        try app.register(YjsBenchRoom.self, as: "yjs-bench")
        try app.register(YjsNoCompactRoom.self, as: "yjs-nocompact")
        try app.register(YjsSeededRoom.self, as: "yjs-seeded")
        try await app.runService()
    }
}
