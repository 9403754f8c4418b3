import ArgumentParser
import Histogram
import NIOCore
import NIOPosix

/// `loadgen wake`: how long a hibernated room takes to answer, against the same room live.
struct WakeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wake",
        abstract: "Wake latency: message -> reply on a hibernated room, and on the same room live.",
        discussion: """
            For the benchmark server's `state` room (durable-bench-server: hibernates after a \
            short idle time, snapshot of --state-bytes, replies `MESSAGE|N` to every text \
            message). Opens one connection to each of ROOMS rooms ({i} in the URL becomes the \
            room index), then ROUNDS times: waits until GET /metrics reports every room \
            hibernated, then room by room sends a message and times the reply (the wake: \
            snapshot read and decoded, a new actor, onStart, onMessage) and at once a second one \
            (the room is now live). The metrics must show exactly ROOMS wakes per round. One \
            request is in flight at a time, so the latencies are unloaded ones.

            Prints one JSON line on stdout; progress goes to stderr.
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "Number of rooms, one connection each.")
    var rooms: Int = 200

    @Option(help: "Hibernate-and-wake rounds.")
    var rounds: Int = 5

    @Option(name: .customLong("state-bytes"), help: "The server's --state-bytes: the N every reply must carry.")
    var stateBytes: Int = 65_536

    @Option(help: "Seconds the whole run may take before it fails.")
    var timeout: Double = 120

    /// Rejects values the scenario cannot run with.
    func validate() throws {
        try client.validate(rooms: rooms)
        guard rooms >= 1, rounds >= 1 else { throw ValidationError("--rooms and --rounds must be at least 1") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard (try? TargetURL(client.url))?.serverName != nil else {
            throw ValidationError("--url must look like ws://HOST:PORT/PREFIX/SERVER/ROOM")
        }
    }

    /// Connects, then hibernates and wakes every room ROUNDS times.
    func run() async throws {
        let wallStart = monotonicNanoseconds()
        ignoreSIGPIPE()
        raiseOpenFileLimit()
        let target = try TargetURL(client.url)
        let server = target.serverName ?? ""
        let group = MultiThreadedEventLoopGroup(numberOfThreads: client.threads)
        let loops = Array(group.makeIterator())
        let deadline = NIODeadline.now() + timeAmount(seconds: timeout)
        let clients = (0..<rooms).map { EchoClient(loop: loops[$0 % loops.count]) }
        var wake = makeLatencyHistogram()
        var live = makeLatencyHistogram()
        var problem: String?
        var unexpectedWakes = 0
        var hibernateWaits: [Double] = []
        var roundWakes: [JSONValue] = []

        log("opening \(rooms) connections to \(target.hostHeader), one per room")
        let set = await ConnectionSet.open(
            count: rooms,
            concurrency: client.concurrency,
            connector: Connector(target: target),
            deadline: deadline,
            path: { target.path(room: $0) },
            loop: { clients[$0].loop },
            configure: { clients[$0].attach($1) }
        )
        if !set.errors.isEmpty { problem = "\(set.errors.count) connections failed: " + summarize(set.errors) }
        let reply = "|\(stateBytes)"
        round: for round in 0..<rounds where problem == nil {
            let waitStart = monotonicNanoseconds()
            do {
                try await waitForHibernation(target: target, server: server, rooms: rooms, loop: group.next(), deadline: deadline)
            } catch {
                problem = "round \(round + 1): \(error)"
                break
            }
            hibernateWaits.append(seconds(from: waitStart, to: monotonicNanoseconds()))
            let wakesBefore = try? await MetricsSample.fetch(from: target, on: group.next()).count("partyserver_wakes_total", server: server)
            var roundWake = makeLatencyHistogram()
            for (index, client) in clients.enumerated() {
                do {
                    let woken = try await client.loop.flatSubmit { client.request("w\(round)-\(index)", reply: "w\(round)-\(index)\(reply)", timeout: .seconds(10)) }.get()
                    let again = try await client.loop.flatSubmit { client.request("l\(round)-\(index)", reply: "l\(round)-\(index)\(reply)", timeout: .seconds(10)) }.get()
                    wake.record(woken)
                    roundWake.record(woken)
                    live.record(again)
                } catch {
                    problem = "round \(round + 1), room \(index): \(describe(error))"
                    break round
                }
            }
            let wakesAfter = try? await MetricsSample.fetch(from: target, on: group.next()).count("partyserver_wakes_total", server: server)
            if let wakesBefore, let wakesAfter {
                unexpectedWakes += abs(wakesAfter - wakesBefore - rooms)
            }
            roundWakes.append(.object(latencyJSON(roundWake)))
            log("round \(round + 1): wake p50 \(format(Double(roundWake.valueAtPercentile(50)) / 1000, decimals: 0)) us")
        }
        let cleanCloses = await set.closeAll()
        try? await group.shutdownGracefully()

        let ok = problem == nil && unexpectedWakes == 0 && set.dropped == 0 && Int(wake.totalCount) == rooms * rounds
        var json = JSONObject()
        json["scenario"] = .string("wake")
        json["rooms"] = .int(rooms)
        json["rounds"] = .int(rounds)
        json["state_bytes"] = .int(stateBytes)
        json["wake_latency_us"] = .object(latencyJSON(wake))
        json["live_latency_us"] = .object(latencyJSON(live))
        json["wake_latency_by_round_us"] = .array(roundWakes)
        json["wake_mismatches"] = .int(unexpectedWakes)
        json["hibernate_wait_seconds"] = .array(hibernateWaits.map { .number($0) })
        json["connected"] = .int(set.connected)
        json["dropped"] = .int(set.dropped)
        json["closed_cleanly"] = .int(cleanCloses)
        json["loadgen_cpu_seconds"] = .number(processCPUSeconds())
        json["loadgen_wall_seconds"] = .number(seconds(from: wallStart, to: monotonicNanoseconds()))
        if let problem { json["error"] = .string(problem) }
        json["ok"] = .bool(ok)
        emitResult(json)
        guard ok else {
            log("FAILED: \(problem ?? "\(unexpectedWakes) wakes more or fewer than rooms messaged")")
            throw ExitCode(1)
        }
    }
}
