import ArgumentParser
import NIOCore
import NIOPosix
import Synchronization

/// `loadgen yjs`: N editors typing into one Yjs document (y-websocket protocol), or the same
/// frames through a plain relay room (`--relay`) as the baseline.
struct YjsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yjs",
        abstract: "Yjs editing: EDITORS clients typing into one document (y-websocket sync updates), or the same frames through a relay.",
        discussion: """
            Opens EDITORS connections to one room. Each editor has its own Yjs client id and, on \
            open, sends sync step 1 with an empty state vector (as y-websocket clients do) and \
            waits for the server's step 2; then every editor sends awareness entries as readiness \
            probes until every editor has seen every other one. Each editor then sends \
            WARMUP-UPDATES unmeasured, then UPDATES-PER-EDITOR measured sync updates, each \
            inserting BYTES ASCII bytes after its own previous character (sequence number in \
            the text), with at most WINDOW in flight per editor (in flight until every other \
            editor has received it), or paced at RATE updates per second per editor. Every \
            editor must receive every other editor's updates exactly once and in order \
            (checked by client id, clock and the sequence number in the text).

            --relay: the room is a plain relay such as PartyServer's `chat` (no sync handshake, \
            nothing stored): the same update frames and probes, each relayed to the other \
            connections.

            Fails (exit status 1) on a lost, duplicated, reordered or unexpected update, a \
            dropped connection or the timeout. Prints one JSON line on stdout; progress goes to \
            stderr.
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "Editors (connections, each with its own client id) in the room.")
    var editors: Int = 10

    @Option(name: .customLong("updates-per-editor"), help: "Measured updates per editor.")
    var updatesPerEditor: Int = 1000

    @Option(name: .customLong("warmup-updates"), help: "Unmeasured updates per editor, all delivered before the measured ones.")
    var warmupUpdates: Int = 0

    @Option(help: "ASCII bytes each update inserts (at least 8: the sequence number).")
    var bytes: Int = 8

    @Option(help: "Window mode: updates per editor in flight (default 8).")
    var window: Int?

    @Option(help: "Paced mode: updates per second per editor (no window).")
    var paced: Double?

    @Flag(help: "The room is a plain relay (e.g. /parties/chat/NAME): no sync handshake.")
    var relay = false

    @Option(name: .customLong("server-pid"), help: "The server's process id (same machine): reports its CPU use while measuring, from /proc.")
    var serverPID: Int32?

    @Option(help: "Seconds the whole run may take before it fails.")
    var timeout: Double = 120

    @Option(name: .customLong("stall-timeout"), help: "Seconds without any update arriving after which the run fails early.")
    var stallTimeout: Double = 10

    @Option(name: .customLong("probe-interval-ms"), help: "Milliseconds between one editor's readiness probes (default: 2 per editor, at least 20).")
    var probeIntervalMs: Int?

    func validate() throws {
        try client.validate(rooms: 1)
        guard (2...10_000).contains(editors) else { throw ValidationError("--editors must be between 2 and 10,000") }
        guard updatesPerEditor >= 1, warmupUpdates >= 0 else { throw ValidationError("--updates-per-editor must be at least 1, --warmup-updates not negative") }
        guard editors * (updatesPerEditor + warmupUpdates) <= 100_000_000 else { throw ValidationError("at most 100,000,000 updates in all") }
        guard (8...65_536).contains(bytes) else { throw ValidationError("--bytes must be between 8 and 65,536") }
        if paced != nil, window != nil { throw ValidationError("use either --paced or --window") }
        if let paced, !(paced > 0) { throw ValidationError("--paced must be positive") }
        if let window, window < 1 { throw ValidationError("--window must be at least 1") }
        guard timeout > 0, stallTimeout > 0 else { throw ValidationError("--timeout and --stall-timeout must be positive") }
        if let probeIntervalMs, probeIntervalMs < 1 { throw ValidationError("--probe-interval-ms must be at least 1") }
    }

    func run() async throws {
        let wallStart = monotonicNanoseconds()
        ignoreSIGPIPE()
        let fileLimit = raiseOpenFileLimit()
        if UInt64(editors) + 64 > fileLimit { log("warning: \(editors) connections but the open-file limit is \(fileLimit)") }
        let target = try TargetURL(client.url)
        let config = YjsConfig(
            editors: editors, updates: updatesPerEditor, warmup: warmupUpdates, bytes: bytes, window: window ?? 8, rate: paced,
            relay: relay, probeInterval: .milliseconds(Int64(probeIntervalMs ?? max(20, 2 * editors)))
        )
        let group = MultiThreadedEventLoopGroup(numberOfThreads: client.threads)
        let states = group.makeIterator().map { YjsLoopState(loop: $0) }
        let run = YjsRun(config: config, loops: states)
        let deadline = NIODeadline.now() + timeAmount(seconds: timeout)
        var problem: String?
        var stage: String?
        var readySeconds = 0.0
        var measureWall = 0.0
        var measureCPU = 0.0
        var serverCPU: Double?

        log("opening \(editors) connections to \(target.hostHeader)\(relay ? " (relay)" : "")")
        let set = await ConnectionSet.open(
            count: editors,
            concurrency: client.concurrency,
            connector: Connector(target: target, deflate: client.deflate),
            deadline: deadline,
            path: { _ in target.path(room: 0) },
            loop: { run.editors[$0].loop },
            configure: { run.editors[$0].attach($1) }
        )
        log("connected \(set.connected) of \(editors) in \(format(set.connectSeconds)) s")
        if !set.errors.isEmpty {
            stage = "connect"
            problem = "\(set.errors.count) connections failed: " + summarize(set.errors)
        } else {
            let readyStart = monotonicNanoseconds()
            for editor in run.editors { editor.loop.execute { editor.start() } }
            if case .failure(let failure) = await run.ready.future.wait(until: deadline) {
                stage = "ready"
                problem = "waiting for the sync and every editor's probe: \(failure)"
            }
            run.isReadyFlag.store(true, ordering: .sequentiallyConsistent)
            readySeconds = seconds(from: readyStart, to: monotonicNanoseconds())
            if problem == nil, warmupUpdates > 0 {
                log("warming up: \(warmupUpdates) updates per editor")
                for editor in run.editors { editor.loop.execute { editor.startPhase(end: config.warmup) } }
                if case .failure(let failure) = await waitFor(run.warmupDone.future, deadline: deadline, states: states) {
                    stage = "warmup"
                    problem = "warm-up: \(failure)"
                }
            }
            if problem == nil {
                let pacing = paced.map { "paced at \(format($0)) updates/s per editor" } ?? "window \(config.window)"
                log("measuring: \(editors) editors x \(updatesPerEditor) updates of \(bytes) bytes, \(pacing)")
                let cpuBefore = processCPUSeconds()
                let serverBefore = serverPID.flatMap { ProcFS.cpuSeconds(pid: $0) }
                let start = monotonicNanoseconds()
                for editor in run.editors { editor.loop.execute { editor.startPhase(end: config.total) } }
                let result = await waitFor(run.measureDone.future, deadline: deadline, states: states)
                measureWall = seconds(from: start, to: monotonicNanoseconds())
                measureCPU = processCPUSeconds() - cpuBefore
                if let serverBefore, let serverAfter = serverPID.flatMap({ ProcFS.cpuSeconds(pid: $0) }) {
                    serverCPU = serverAfter - serverBefore
                }
                if case .failure(let failure) = result {
                    stage = "measure"
                    problem = "measuring: \(failure)"
                }
            }
        }
        if problem == nil, let reason = run.failure.withLock({ $0 }) { problem = reason }
        // Give late duplicates a moment to show up, then collect.
        if problem == nil { try? await Task.sleep(nanoseconds: 200_000_000) }
        run.finishing.store(true, ordering: .sequentiallyConsistent)
        var tally = DeliveryTally()
        var firstSend: UInt64 = .max
        var totals = YjsLoopSnapshot(tally: DeliveryTally())
        var missing: [String] = []
        for state in states {
            guard let snapshot = try? await state.loop.submit({ state.snapshot(maxExamples: 5) }).get() else { continue }
            tally.add(snapshot.tally)
            firstSend = min(firstSend, snapshot.firstSend)
            totals.sent += snapshot.sent
            totals.probesSent += snapshot.probesSent
            totals.awarenessReceived += snapshot.awarenessReceived
            totals.step1Received += snapshot.step1Received
            totals.step2Received += snapshot.step2Received
            totals.nonEmptyStep1 += snapshot.nonEmptyStep1
            missing += snapshot.missing
        }
        let cleanCloses = await set.closeAll()
        try? await group.shutdownGracefully()

        let measuredSeconds = firstSend != .max && tally.lastReceive > firstSend ? Double(tally.lastReceive - firstSend) / 1e9 : 0
        let lost = max(0, config.expectedDeliveries - tally.delivered)
        let warmupLost = max(0, config.expectedWarmupDeliveries - tally.warmupDelivered)
        let ok = problem == nil && lost == 0 && warmupLost == 0 && tally.duplicated == 0 && tally.reordered == 0 && tally.unexpected == 0
            && tally.disconnected == 0 && set.dropped == 0 && set.connected == editors
        let frameBytes = YjsWire.insertFrameLength(client: config.clientID(0), clock: UInt64(bytes), textBytes: bytes)
        var json = JSONObject()
        json["scenario"] = .string(relay ? "yjs-relay" : "yjs")
        json["editors"] = .int(editors)
        json["updates_per_editor"] = .int(updatesPerEditor)
        json["warmup_updates"] = .int(warmupUpdates)
        json["bytes"] = .int(bytes)
        json["frame_bytes"] = .int(frameBytes)
        if let paced {
            json["pacing"] = .string("rate")
            json["rate_per_editor"] = .number(paced)
        } else {
            json["pacing"] = .string("window")
            json["window"] = .int(config.window)
        }
        json["updates_sent"] = .int(totals.sent)
        json["expected_deliveries"] = .int(config.expectedDeliveries)
        json["delivered"] = .int(tally.delivered)
        json["lost"] = .int(lost)
        if warmupUpdates > 0 { json["warmup_lost"] = .int(warmupLost) }
        json["duplicated"] = .int(tally.duplicated)
        json["reordered"] = .int(tally.reordered)
        json["unexpected"] = .int(tally.unexpected)
        json["disconnected"] = .int(tally.disconnected)
        json["seconds"] = .number(measuredSeconds, decimals: 6)
        json["updates_per_second"] = .number(measuredSeconds > 0 ? Double(editors * updatesPerEditor) / measuredSeconds : 0, decimals: 1)
        json["deliveries_per_second"] = .number(measuredSeconds > 0 ? Double(tally.delivered) / measuredSeconds : 0, decimals: 1)
        json["latency_us"] = .object(latencyJSON(tally.histogram))
        json["step1_received"] = .int(totals.step1Received)
        json["step2_received"] = .int(totals.step2Received)
        json["non_empty_step1"] = .int(totals.nonEmptyStep1)
        json["probes_sent"] = .int(totals.probesSent)
        json["awareness_received"] = .int(totals.awarenessReceived)
        json["connected"] = .int(set.connected)
        json["dropped"] = .int(set.dropped)
        json["closed_cleanly"] = .int(cleanCloses)
        json["connect_seconds"] = .number(set.connectSeconds, decimals: 6)
        json["ready_seconds"] = .number(readySeconds, decimals: 6)
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
        if let stage { json["failed_stage"] = .string(stage) }
        if let problem { json["error"] = .string(problem) }
        if !ok, !missing.isEmpty { json["missing"] = .array(missing.prefix(5).map(JSONValue.string)) }
        json["ok"] = .bool(ok)
        emitResult(json)
        guard ok else {
            log("FAILED: \(problem ?? "lost \(lost), duplicated \(tally.duplicated), reordered \(tally.reordered), unexpected \(tally.unexpected)")")
            throw ExitCode(1)
        }
        log("ok: \(tally.delivered) deliveries at \(format(measuredSeconds > 0 ? Double(tally.delivered) / measuredSeconds : 0, decimals: 0))/s")
    }

    /// Waits for a phase; fails at the deadline, on abort, or when nothing arrived for the stall time.
    private func waitFor(_ future: EventLoopFuture<Void>, deadline: NIODeadline, states: [YjsLoopState]) async -> Result<Void, RunFailure> {
        let stallLimit = max(stallTimeout, paced.map { 3 / $0 } ?? 0)
        return await waitMakingProgress(future, deadline: deadline, stallSeconds: stallLimit) {
            var progress = 0
            for state in states {
                progress += (try? await state.loop.submit { state.progress }.get()) ?? 0
            }
            return progress
        }
    }
}
