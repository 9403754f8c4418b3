import ArgumentParser
import Histogram
import NIOCore
import NIOPosix
import Synchronization

struct Fanout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Broadcast throughput and end-to-end latency through rooms that relay to every other connection.",
        discussion: """
            Opens ROOMS x CLIENTS WebSocket connections ({i} in the URL becomes the room index, from 0), \
            waits until every connection has joined its room (the first connection of each room sends \
            readiness probes until all others received one), then the first SENDERS connections of each \
            room send MESSAGES text messages of BYTES bytes each. Every other connection of the room must \
            receive every message exactly once and in order per sender; lost, duplicated, reordered or \
            unexpected messages, a dropped connection or the timeout make the run fail (exit status 1).

            Prints one JSON line on stdout; progress goes to stderr.
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "Number of rooms.")
    var rooms: Int = 1

    @Option(help: "Connections per room.")
    var clients: Int = 10

    @Option(help: "Connections per room that send (the room's first ones).")
    var senders: Int = 1

    @Option(help: "Measured messages per sender.")
    var messages: Int = 1000

    @Option(help: "Message size in bytes (at least \(Payload.minimumSize)).")
    var bytes: Int = 64

    @Option(help: "Paced sending: messages per second per sender (no window).")
    var rate: Double?

    @Option(help: "Unpaced sending: messages per sender in flight, i.e. sent but not yet received by every receiver of the room (default 32).")
    var window: Int?

    @Option(help: "Seconds the whole run may take (connect, ready, warm-up, measure) before it fails.")
    var timeout: Double = 120

    @Option(name: .customLong("stall-timeout"), help: "Seconds without any new message arriving after which the run fails early (messages were lost).")
    var stallTimeout: Double = 10

    @Option(name: .customLong("warmup-messages"), help: "Unmeasured messages per sender sent (and all delivered) before the measured ones.")
    var warmupMessages: Int = 0


    @Option(name: .customLong("probe-interval-ms"), help: "Milliseconds between readiness probes.")
    var probeIntervalMs: Int = 20

    func validate() throws {
        try client.validate(rooms: rooms)
        guard rooms >= 1 else { throw ValidationError("--rooms must be at least 1") }
        guard clients >= 2 else { throw ValidationError("--clients must be at least 2 (messages go to the other connections)") }
        guard (1...clients).contains(senders) else { throw ValidationError("--senders must be between 1 and --clients") }
        guard messages >= 1 else { throw ValidationError("--messages must be at least 1") }
        guard warmupMessages >= 0 else { throw ValidationError("--warmup-messages must not be negative") }
        guard messages + warmupMessages <= Int(UInt32.max) else { throw ValidationError("too many messages per sender") }
        guard rooms * clients <= Int(UInt32.max) else { throw ValidationError("too many connections") }
        guard bytes >= Payload.minimumSize else { throw ValidationError("--bytes must be at least \(Payload.minimumSize)") }
        guard bytes <= 1 << 20 else { throw ValidationError("--bytes must be at most 1 MiB") }
        if rate != nil, window != nil { throw ValidationError("use either --rate or --window") }
        if let rate, !(rate > 0) { throw ValidationError("--rate must be positive") }
        if let window, window < 1 { throw ValidationError("--window must be at least 1") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard stallTimeout > 0 else { throw ValidationError("--stall-timeout must be positive") }
        guard probeIntervalMs >= 1 else { throw ValidationError("--probe-interval-ms must be at least 1") }
    }

    func run() async throws {
        let wallStart = monotonicNanoseconds()
        ignoreSIGPIPE()
        let fileLimit = raiseOpenFileLimit()
        let target = try TargetURL(client.url)
        let config = FanoutConfig(
            rooms: rooms,
            clients: clients,
            senders: senders,
            messages: messages,
            bytes: bytes,
            warmupMessages: warmupMessages,
            rate: rate,
            window: window ?? 32,
            probeInterval: .milliseconds(Int64(probeIntervalMs))
        )
        if UInt64(config.totalClients) + 64 > fileLimit {
            log("warning: \(config.totalClients) connections but the open-file limit is \(fileLimit)")
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: client.threads)
        let states = group.makeIterator().map { LoopState(loop: $0) }
        let run = FanoutRun(config: config, loops: states)
        let deadline = NIODeadline.now() + timeAmount(seconds: timeout)
        var report = FanoutReport(config: config, threads: client.threads)

        // 1. Connect.
        log("opening \(config.totalClients) connections (\(rooms) rooms x \(clients)) to \(target.hostHeader)")
        let connector = Connector(target: target, deflate: client.deflate)
        let connectStart = monotonicNanoseconds()
        let attempts = await boundedConcurrently(count: config.totalClients, concurrency: client.concurrency) { index in
            let client = run.clients[index]
            let attempt = connector.open(
                index: index,
                path: target.path(room: client.room),
                on: client.loop,
                deadline: deadline
            ) { handler in
                client.attach(handler)
            }
            do {
                _ = try await attempt.opened.get()
                return (attempt.closed, String?.none)
            } catch {
                return (attempt.closed, String?.some(describe(error)))
            }
        }
        report.connectSeconds = seconds(from: connectStart, to: monotonicNanoseconds())
        let connectErrors = attempts.compactMap(\.1)
        report.connected = attempts.count - connectErrors.count
        log("connected \(report.connected) of \(config.totalClients) in \(format(report.connectSeconds)) s")

        if !connectErrors.isEmpty {
            report.stage = "connect"
            report.error = "\(connectErrors.count) of \(config.totalClients) connections failed: " + summarize(connectErrors)
        } else {
            // 2. Wait until every connection is in its room.
            let readyStart = monotonicNanoseconds()
            for room in 0..<rooms {
                let prober = run.clients[room * clients]
                prober.loop.execute { prober.startProbing() }
            }
            if case .failure(let failure) = await waitForPhase(run.ready.future, deadline: deadline, states: states) {
                report.stage = "ready"
                report.error = reason(failure, run: run)
            } else {
                report.readySeconds = seconds(from: readyStart, to: monotonicNanoseconds())
                log("all rooms ready in \(format(report.readySeconds)) s")
            }

            // 3. Warm-up.
            if report.error == nil, warmupMessages > 0 {
                log("warming up: \(warmupMessages) messages per sender")
                startSenders(run, end: warmupMessages)
                if case .failure(let failure) = await waitForPhase(run.warmupDone.future, deadline: deadline, states: states) {
                    report.stage = "warmup"
                    report.error = reason(failure, run: run)
                }
            }

            // 4. Measure.
            if report.error == nil {
                log("measuring: \(config.totalSenders) senders x \(messages) messages of \(bytes) bytes")
                let cpuBefore = processCPUSeconds()
                let measureStart = monotonicNanoseconds()
                startSenders(run, end: config.sequencesPerSender)
                let result = await waitForPhase(run.measureDone.future, deadline: deadline, states: states)
                let measureEnd = monotonicNanoseconds()
                report.measureCPUSeconds = processCPUSeconds() - cpuBefore
                report.measureWallSeconds = seconds(from: measureStart, to: measureEnd)
                if case .failure(let failure) = result {
                    report.stage = "measure"
                    report.error = reason(failure, run: run)
                }
            }
        }

        // Stop, collect, close.
        run.finishing.store(true, ordering: .sequentiallyConsistent)
        var snapshots: [LoopState.Snapshot] = []
        for state in states {
            if let snapshot = try? await state.loop.submit({ state.snapshot(config: config, maxExamples: 5) }).get() {
                snapshots.append(snapshot)
            }
        }
        report.add(snapshots)
        if report.error != nil {
            report.missing = Array(snapshots.flatMap(\.missing).prefix(5))
        }
        for client in run.clients {
            client.loop.execute { client.ws?.close() }
        }
        let closeDeadline = NIODeadline.now() + .seconds(10)
        let allClosed = EventLoopFuture.andAllComplete(attempts.map(\.0).map { $0.map { _ in () } }, on: group.next())
        if case .failure = await allClosed.wait(until: closeDeadline) {
            log("some connections did not finish closing within 10 s")
        }
        try? await group.shutdownGracefully()

        report.cpuSeconds = processCPUSeconds()
        report.wallSeconds = seconds(from: wallStart, to: monotonicNanoseconds())
        let json = report.json()
        emitResult(json)
        if let error = report.error { log("FAILED: \(error)") }
        if case .bool(true) = json["ok"] {
            log("ok: \(report.tally.delivered) deliveries at \(format(report.deliveredPerSecond, decimals: 0))/s")
        } else {
            throw ExitCode(1)
        }
    }

    private func startSenders(_ run: FanoutRun, end: Int) {
        for client in run.clients where client.isSender {
            client.loop.execute { client.startPhase(end: end) }
        }
    }

    private func reason(_ failure: RunFailure, run: FanoutRun) -> String {
        let what: String
        switch failure {
        case .aborted(let reason):
            return reason
        case .timeout:
            what = "timed out after \(format(timeout)) s"
        case .stalled(let seconds):
            what = "stalled: no new message arrived for \(format(seconds, decimals: 1)) s"
        }
        let pendingRooms = run.ready.pending
        if pendingRooms > 0 {
            return what + ": \(pendingRooms) of \(rooms) rooms never became ready "
                + "(some connections never received a readiness probe: does the room relay messages to the other connections?)"
        }
        return what + " with messages still missing"
    }

    /// Waits for a phase to complete; fails at the run's deadline, at once on abort, or early
    /// when no message at all has arrived for `--stall-timeout` seconds (a lost message stalls
    /// its sender's window, so the run could otherwise only end at the deadline).
    private func waitForPhase(_ future: EventLoopFuture<Void>, deadline: NIODeadline, states: [LoopState]) async -> Result<Void, RunFailure> {
        // A slow paced sender is not a stall.
        let stallLimit = max(stallTimeout, rate.map { 3 / $0 } ?? 0)
        return await waitMakingProgress(future, deadline: deadline, stallSeconds: stallLimit) {
            var progress = 0
            for state in states {
                progress += (try? await state.loop.submit { state.progress }.get()) ?? 0
            }
            return progress
        }
    }
}

/// Gathers the fanout numbers and renders the JSON line.
struct FanoutReport {
    let config: FanoutConfig
    let threads: Int
    var connected = 0
    var connectSeconds = 0.0
    var readySeconds = 0.0
    var stage: String?
    var error: String?
    var missing: [String] = []
    var tally = DeliveryTally()
    var notReady = 0
    var firstSend: UInt64 = .max
    var measureCPUSeconds = 0.0
    var measureWallSeconds = 0.0
    var cpuSeconds = 0.0
    var wallSeconds = 0.0

    init(config: FanoutConfig, threads: Int) {
        self.config = config
        self.threads = threads
    }

    mutating func add(_ snapshots: [LoopState.Snapshot]) {
        for snapshot in snapshots {
            tally.add(snapshot.tally)
            notReady += snapshot.notReady
            firstSend = min(firstSend, snapshot.firstSend)
        }
    }

    var lost: Int { max(0, config.expectedDeliveries - tally.delivered) }
    var warmupLost: Int { max(0, config.expectedWarmupDeliveries - tally.warmupDelivered) }

    var measuredSeconds: Double {
        guard tally.delivered > 0, firstSend != .max, tally.lastReceive > firstSend else { return 0 }
        return Double(tally.lastReceive - firstSend) / 1_000_000_000
    }

    var deliveredPerSecond: Double {
        measuredSeconds > 0 ? Double(tally.delivered) / measuredSeconds : 0
    }

    var ok: Bool {
        error == nil && lost == 0 && warmupLost == 0 && tally.duplicated == 0 && tally.reordered == 0 && tally.unexpected == 0
            && tally.disconnected == 0 && connected == config.totalClients
    }

    func json() -> JSONObject {
        var json = JSONObject()
        json["scenario"] = .string("fanout")
        json["rooms"] = .int(config.rooms)
        json["clients"] = .int(config.clients)
        json["senders"] = .int(config.senders)
        json["messages"] = .int(config.messages)
        json["bytes"] = .int(config.bytes)
        json["warmup_messages"] = .int(config.warmupMessages)
        if let rate = config.rate {
            json["pacing"] = .string("rate")
            json["rate"] = .number(rate)
        } else {
            json["pacing"] = .string("window")
            json["window"] = .int(config.window)
        }
        json["expected"] = .int(config.expectedDeliveries)
        json["delivered"] = .int(tally.delivered)
        json["lost"] = .int(lost)
        json["duplicated"] = .int(tally.duplicated)
        json["reordered"] = .int(tally.reordered)
        json["unexpected"] = .int(tally.unexpected)
        if config.warmupMessages > 0 { json["warmup_lost"] = .int(warmupLost) }
        json["disconnected"] = .int(tally.disconnected)
        json["seconds"] = .number(measuredSeconds, decimals: 6)
        json["delivered_per_second"] = .number(deliveredPerSecond, decimals: 1)
        var latency = JSONObject()
        let hasLatency = tally.histogram.totalCount > 0
        func micros(_ nanos: UInt64) -> JSONValue {
            hasLatency ? .number(Double(nanos) / 1000, decimals: 1) : .null
        }
        latency["p50"] = micros(tally.histogram.valueAtPercentile(50))
        latency["p99"] = micros(tally.histogram.valueAtPercentile(99))
        latency["p999"] = micros(tally.histogram.valueAtPercentile(99.9))
        latency["max"] = micros(tally.histogram.maxRecorded)
        json["latency_us"] = .object(latency)
        json["connected"] = .int(connected)
        json["connect_seconds"] = .number(connectSeconds, decimals: 6)
        json["ready_seconds"] = .number(readySeconds, decimals: 6)
        json["loadgen_cpu_seconds"] = .number(cpuSeconds)
        json["loadgen_wall_seconds"] = .number(wallSeconds)
        json["loadgen_measure_cpu_seconds"] = .number(measureCPUSeconds)
        json["loadgen_measure_wall_seconds"] = .number(measureWallSeconds)
        json["loadgen_cpu_utilization"] = .number(measureWallSeconds > 0 ? measureCPUSeconds / measureWallSeconds : 0, decimals: 2)
        json["loadgen_threads"] = .int(threads)
        if let stage { json["failed_stage"] = .string(stage) }
        if let error { json["error"] = .string(error) }
        if stage == "ready" { json["not_ready"] = .int(notReady) }
        if !missing.isEmpty { json["missing"] = .array(missing.map(JSONValue.string)) }
        json["ok"] = .bool(ok)
        return json
    }
}

func seconds(from start: UInt64, to end: UInt64) -> Double {
    end > start ? Double(end - start) / 1_000_000_000 : 0
}

func format(_ value: Double, decimals: Int = 3) -> String {
    JSONValue.number(value, decimals: decimals).serialized()
}

/// "N x reason; M x other reason" for the most common errors.
func summarize(_ errors: [String], limit: Int = 3) -> String {
    var counts: [String: Int] = [:]
    for error in errors { counts[error, default: 0] += 1 }
    return counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        .prefix(limit)
        .map { "\($0.value) x \($0.key)" }
        .joined(separator: "; ")
}
