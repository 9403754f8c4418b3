import ArgumentParser
import NIOCore
import NIOPosix

/// `loadgen logux`: actions per second through one Logux channel, and the time to resend the
/// actions a subscriber missed, against a Logux protocol-5 room with a `counter` channel.
struct LoguxBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logux",
        abstract: "Logux protocol 5: actions per second through one channel, or the resend time of missed actions.",
        discussion: """
            The room must speak Logux protocol 5 with subprotocol 1, allow the channel (--channel) \
            and the action {"type":"counter/increment"}, and send it to the channel's other \
            subscribers (PartyServer's ready-made `logux` room does). Every client answers each \
            server `sync` with `synced`.

            throughput: one sender and SUBSCRIBERS subscribers connect; the sender adds \
            WARMUP-ACTIONS unmeasured, then ACTIONS measured increments, one per `sync`, at most \
            WINDOW in flight (an action is in flight until the sender has its `logux/processed` \
            and every subscriber has received it). Reports actions and deliveries per second, the \
            sender's send-to-processed latency and the send-to-delivery latency. Every \
            subscriber must receive every action exactly once.

            resend: ROUNDS rounds ({i} in the URL becomes the round number, so each round can \
            have a room and log of its own); in each, a sender connects, a new subscriber \
            subscribes and disconnects, the sender adds ACTIONS increments (BATCH per `sync`, SYNC-WINDOW batches awaiting \
            `synced`), and the subscriber connects again with `connect`'s synced set to the last \
            `added` it received. Reports the time from sending `connect` until all ACTIONS \
            arrived, each exactly once. The room must keep at least ACTIONS actions per channel \
            and may send at most that many per `sync`.

            Fails (exit status 1) on a lost, duplicated or unexpected action, a dropped \
            connection, or the timeout. Prints one JSON line on stdout; progress goes to stderr.
            """
    )

    /// The measurement to make.
    enum Scenario: String, ExpressibleByArgument, CaseIterable {
        case throughput
        case resend
    }

    @OptionGroup var client: ClientOptions

    @Option(help: "throughput or resend.")
    var scenario: Scenario = .throughput

    @Option(help: "throughput: subscribers of the channel besides the sender.")
    var subscribers: Int = 10

    @Option(help: "throughput: measured actions; resend: missed actions per round.")
    var actions: Int = 2000

    @Option(name: .customLong("warmup-actions"), help: "throughput: unmeasured actions before the measured ones.")
    var warmupActions: Int = 200

    @Option(help: "throughput: actions in flight.")
    var window: Int = 32

    @Flag(
        name: .customLong("subscribers-answer-synced"), inversion: .prefixedNo,
        help: "throughput: subscribers answer each server sync with synced, as real clients do (--no-… to see what the answers cost the server)."
    )
    var subscribersAnswerSynced = true

    @Option(help: "resend: rounds, each with a new subscriber.")
    var rounds: Int = 3

    @Option(help: "resend: actions per sync when the sender adds them.")
    var batch: Int = 100

    @Option(name: .customLong("sync-window"), help: "resend: the sender's syncs awaiting `synced` at once.")
    var syncWindow: Int = 4

    @Option(help: "The channel to subscribe to.")
    var channel: String = "counter"

    @Option(name: .customLong("server-pid"), help: "The server's process id (same machine): reports its CPU use while measuring, from /proc.")
    var serverPID: Int32?

    @Option(help: "Seconds the whole run may take before it fails.")
    var timeout: Double = 120

    @Option(name: .customLong("stall-timeout"), help: "throughput: seconds without any frame arriving after which the run fails early.")
    var stallTimeout: Double = 10

    /// Rejects values the scenarios cannot run with.
    func validate() throws {
        try client.validate(rooms: 1)
        guard (1...100_000).contains(subscribers) else { throw ValidationError("--subscribers must be between 1 and 100,000") }
        guard (1...10_000_000).contains(actions), warmupActions >= 0 else {
            throw ValidationError("--actions must be between 1 and 10,000,000, --warmup-actions not negative")
        }
        guard window >= 1, rounds >= 1, batch >= 1, syncWindow >= 1 else {
            throw ValidationError("--window, --rounds, --batch and --sync-window must be at least 1")
        }
        guard !channel.isEmpty, !channel.contains("\""), !channel.contains("\\") else {
            throw ValidationError("--channel must be a non-empty name without quotes or backslashes")
        }
        guard timeout > 0, stallTimeout > 0 else { throw ValidationError("--timeout and --stall-timeout must be positive") }
    }

    /// Runs the scenario and prints its result.
    func run() async throws {
        let wallStart = monotonicNanoseconds()
        ignoreSIGPIPE()
        let fileLimit = raiseOpenFileLimit()
        if scenario == .throughput, UInt64(subscribers) + 64 > fileLimit {
            log("warning: \(subscribers + 1) connections but the open-file limit is \(fileLimit)")
        }
        let target = try TargetURL(client.url)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: client.threads)
        let deadline = NIODeadline.now() + timeAmount(seconds: timeout)
        var json: JSONObject
        switch scenario {
        case .throughput:
            let throughput = LoguxThroughput(
                subscribers: subscribers, actions: actions, warmupActions: warmupActions, window: window,
                answerSynced: subscribersAnswerSynced, channel: channel,
                stallSeconds: stallTimeout, serverPID: serverPID, deflate: client.deflate
            )
            json = await throughput.run(target: target, group: group, concurrency: client.concurrency, deadline: deadline)
        case .resend:
            let resend = LoguxResend(
                actions: actions, rounds: rounds, batch: batch, syncWindow: syncWindow, channel: channel, serverPID: serverPID,
                deflate: client.deflate
            )
            json = await resend.run(target: target, group: group, deadline: deadline)
        }
        try? await group.shutdownGracefully()
        let ok: Bool
        if case .bool(true)? = json["ok"] { ok = true } else { ok = false }
        json["ok"] = nil
        json["loadgen_cpu_seconds"] = .number(processCPUSeconds())
        json["loadgen_wall_seconds"] = .number(seconds(from: wallStart, to: monotonicNanoseconds()))
        json["loadgen_threads"] = .int(client.threads)
        json["ok"] = .bool(ok)
        emitResult(json)
        guard ok else {
            if case .string(let error)? = json["error"] { log("FAILED: \(error)") } else { log("FAILED: see the result line") }
            throw ExitCode(1)
        }
        log("ok")
    }
}
