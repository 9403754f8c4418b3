import ArgumentParser
import NIOCore
import NIOPosix
import Synchronization

/// `loadgen counter`: durable puts per second through PartyServer's `counter` room.
struct CounterBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "counter",
        abstract: "Durable puts per second: closed-loop `inc` clients on PartyServer's counter room.",
        discussion: """
            Opens ROOMS x CLIENTS connections to a counter room ({i} in the URL becomes the room \
            index), waits for every initial count, then each client in closed loop sends `inc` and \
            waits for its acknowledgement (the broadcast `{"count":N}` with N at least the value \
            its inc produces; the counter stores every new count, durably, before sending it): \
            WARMUP-INCS unmeasured, then INCS measured. Reads the server's GET /metrics before \
            and after the measured incs for the storage commits and writes. Every connection \
            must receive every count of its room exactly once (counts broadcast out of order are \
            reported, not failed). With --verify-stored, waits until every room hibernated and \
            reads each room's count back over HTTP (the room reloads it from storage) to compare \
            it with the last count the clients saw. Fails (exit status 1) on a lost or duplicated \
            count, a dropped connection, or the timeout.

            Prints one JSON line on stdout; progress goes to stderr.
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "Number of rooms.")
    var rooms: Int = 1

    @Option(help: "Connections per room, each sending in closed loop.")
    var clients: Int = 1

    @Option(help: "Measured increments per connection.")
    var incs: Int = 1000

    @Option(name: .customLong("warmup-incs"), help: "Unmeasured increments per connection before the measured ones.")
    var warmupIncs: Int = 50

    @Flag(name: .customLong("verify-stored"), help: "After measuring, wait for hibernation and compare each room's stored count with the last one broadcast.")
    var verifyStored = false

    @Option(name: .customLong("server-pid"), help: "The server's process id (same machine): reports its CPU use while measuring, from /proc.")
    var serverPID: Int32?

    @Option(help: "Seconds the whole run (verification included) may take before it fails.")
    var timeout: Double = 60

    /// Rejects values the scenario cannot run with.
    func validate() throws {
        try client.validate(rooms: rooms)
        guard rooms >= 1, clients >= 1 else { throw ValidationError("--rooms and --clients must be at least 1") }
        guard incs >= 1, warmupIncs >= 0 else { throw ValidationError("--incs must be at least 1, --warmup-incs not negative") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        if verifyStored, (try? TargetURL(client.url))?.serverName == nil {
            throw ValidationError("--verify-stored needs a URL like ws://HOST:PORT/PREFIX/SERVER/ROOM")
        }
    }

    /// Connects, warms up, measures, checks, reports.
    func run() async throws {
        let wallStart = monotonicNanoseconds()
        ignoreSIGPIPE()
        raiseOpenFileLimit()
        let target = try TargetURL(client.url)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: client.threads)
        let states = group.makeIterator().map { CounterLoopState(loop: $0) }
        let run = CounterRun(rooms: rooms, clients: clients, incsPerClient: warmupIncs + incs, states: states)
        let deadline = NIODeadline.now() + timeAmount(seconds: timeout)
        var problem: String?

        log("opening \(run.clients.count) connections (\(rooms) rooms x \(clients)) to \(target.hostHeader)")
        let set = await ConnectionSet.open(
            count: run.clients.count,
            concurrency: client.concurrency,
            connector: Connector(target: target),
            deadline: deadline,
            path: { target.path(room: run.clients[$0].room) },
            loop: { run.clients[$0].loop },
            configure: { run.clients[$0].attach($1) }
        )
        log("connected \(set.connected) of \(run.clients.count) in \(format(set.connectSeconds)) s")
        var storage: StorageWindow?
        var measureWall = 0.0
        var measureCPU = 0.0
        var serverCPU: Double?
        if !set.errors.isEmpty {
            problem = "\(set.errors.count) connections failed: " + summarize(set.errors)
        } else if case .failure(let failure) = await run.ready.future.wait(until: deadline) {
            problem = "waiting for the initial counts: \(failure)"
        } else {
            if warmupIncs > 0 {
                log("warming up: \(warmupIncs) incs per connection")
                if case .failure(let failure) = await phase(run, incs: warmupIncs, measured: false, done: run.warmupDone, deadline: deadline) {
                    problem = "warm-up: \(failure)"
                }
            }
            if problem == nil {
                let before = try? await MetricsSample.fetch(from: target, on: group.next())
                log("measuring: \(run.clients.count) connections x \(incs) incs")
                let cpuBefore = processCPUSeconds()
                let serverBefore = serverPID.flatMap { ProcFS.cpuSeconds(pid: $0) }
                let start = monotonicNanoseconds()
                let result = await phase(run, incs: incs, measured: true, done: run.measureDone, deadline: deadline)
                measureWall = seconds(from: start, to: monotonicNanoseconds())
                measureCPU = processCPUSeconds() - cpuBefore
                if let serverBefore, let serverAfter = serverPID.flatMap({ ProcFS.cpuSeconds(pid: $0) }) {
                    serverCPU = serverAfter - serverBefore
                }
                if case .failure(let failure) = result { problem = "measuring: \(failure)" }
                if let before, let after = try? await MetricsSample.fetch(from: target, on: group.next()) {
                    storage = StorageWindow(before: before, after: after, wallSeconds: measureWall)
                }
            }
        }

        // Every client should receive every count of its room: wait (bounded) for the last ones.
        var missing = 0
        if problem == nil {
            let tailDeadline = NIODeadline.now() + .seconds(5)
            repeat {
                missing = await run.missingBroadcasts()
                if missing > 0 { try? await Task.sleep(nanoseconds: 20_000_000) }
            } while missing > 0 && NIODeadline.now() < tailDeadline
        }
        var stored: StoredCountCheck?
        if problem == nil, verifyStored {
            log("waiting for \(rooms) rooms to hibernate, then reading their stored counts")
            do {
                stored = try await StoredCountCheck.run(target: target, finals: await run.finalCounts(), loop: group.next(), deadline: deadline)
            } catch {
                problem = "verifying stored counts: \(error)"
            }
        }
        run.finishing.store(true, ordering: .sequentiallyConsistent)
        var totals = CounterTotals()
        for state in states {
            if let part = try? await state.loop.submit({ CounterTotals(state) }).get() { totals.add(part) }
        }
        let cleanCloses = await set.closeAll()
        try? await group.shutdownGracefully()

        let expected = run.clients.count * incs
        let measuredSeconds = totals.acked > 0 && totals.lastAck > totals.firstSend ? Double(totals.lastAck - totals.firstSend) / 1e9 : 0
        let rate = measuredSeconds > 0 ? Double(totals.acked) / measuredSeconds : 0
        if problem == nil, let reason = run.failure.withLock({ $0 }) { problem = reason }
        let ok = problem == nil && totals.acked == expected && totals.duplicated == 0 && totals.unexpected == 0
            && missing == 0 && set.dropped == 0
        var json = JSONObject()
        json["scenario"] = .string("counter")
        json["rooms"] = .int(rooms)
        json["clients_per_room"] = .int(clients)
        json["incs_per_client"] = .int(incs)
        json["warmup_incs_per_client"] = .int(warmupIncs)
        json["expected"] = .int(expected)
        json["acked"] = .int(totals.acked)
        json["seconds"] = .number(measuredSeconds, decimals: 6)
        json["puts_per_second"] = .number(rate, decimals: 1)
        json["latency_us"] = .object(latencyJSON(totals.histogram))
        if let storage { json["storage"] = .object(storage.json()) }
        json["missing"] = .int(missing)
        json["duplicated"] = .int(totals.duplicated)
        json["out_of_order"] = .int(totals.outOfOrder)
        json["unexpected"] = .int(totals.unexpected)
        if let stored { json["stored"] = .object(stored.json()) }
        json["connected"] = .int(set.connected)
        json["dropped"] = .int(set.dropped)
        json["closed_cleanly"] = .int(cleanCloses)
        json["connect_seconds"] = .number(set.connectSeconds, decimals: 6)
        if let serverCPU {
            json["server_measure_cpu_seconds"] = .number(serverCPU)
            json["server_cpu_utilization"] = .number(measureWall > 0 ? serverCPU / measureWall : 0, decimals: 2)
        }
        json["loadgen_measure_cpu_seconds"] = .number(measureCPU)
        json["loadgen_measure_wall_seconds"] = .number(measureWall)
        json["loadgen_cpu_utilization"] = .number(measureWall > 0 ? measureCPU / measureWall : 0, decimals: 2)
        json["loadgen_cpu_seconds"] = .number(processCPUSeconds())
        json["loadgen_wall_seconds"] = .number(seconds(from: wallStart, to: monotonicNanoseconds()))
        json["loadgen_threads"] = .int(client.threads)
        if let problem { json["error"] = .string(problem) }
        json["ok"] = .bool(ok)
        emitResult(json)
        if totals.outOfOrder > 0 { log("note: \(totals.outOfOrder) counts arrived after a higher count") }
        if let stored, stored.behind > 0 { log("note: \(stored.behind) rooms stored a count below the last one broadcast") }
        guard ok else {
            log("FAILED: \(problem ?? "acked \(totals.acked) of \(expected), \(missing) missing, \(totals.duplicated) duplicated counts")")
            throw ExitCode(1)
        }
        log("ok: \(totals.acked) durable puts at \(format(rate, decimals: 0))/s")
    }

    /// Starts a phase on every client and waits until all are done, the deadline, or an abort.
    private func phase(_ run: CounterRun, incs: Int, measured: Bool, done: CountdownSignal, deadline: NIODeadline) async -> Result<Void, RunFailure> {
        for client in run.clients {
            client.loop.execute { client.startPhase(incs: incs, measured: measured, done: done) }
        }
        return await done.future.wait(until: deadline)
    }
}
