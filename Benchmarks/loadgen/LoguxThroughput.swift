import NIOCore
import NIOPosix
import Synchronization

/// The `logux` throughput scenario: one sender and N subscribers of one channel, the sender
/// adding `counter/increment` actions with a window in flight; reports actions and deliveries
/// per second, the sender's send-to-`logux/processed` latency and the send-to-delivery latency.
struct LoguxThroughput {
    var subscribers: Int
    var actions: Int
    var warmupActions: Int
    var window: Int
    /// Whether subscribers answer each server `sync` with `synced`.
    var answerSynced: Bool
    var channel: String
    var stallSeconds: Double
    var serverPID: Int32?
    /// Whether connections offer permessage-deflate.
    var deflate = false

    /// Connects, subscribes, warms up, measures and returns the result (its `ok` says whether
    /// every check passed).
    func run(target: TargetURL, group: MultiThreadedEventLoopGroup, concurrency: Int, deadline: NIODeadline) async -> JSONObject {
        let states = group.makeIterator().map { LoguxLoopState(loop: $0) }
        let run = LoguxRun(subscribers: subscribers, warmup: warmupActions, measured: actions, window: window, states: states)
        var problem: String?
        log("opening \(run.clients.count) connections (1 sender, \(subscribers) subscribers) to \(target.hostHeader)")
        let set = await ConnectionSet.open(
            count: run.clients.count,
            concurrency: concurrency,
            connector: Connector(target: target, deflate: deflate),
            deadline: deadline,
            path: { _ in target.path(room: 0) },
            loop: { run.clients[$0].loop },
            configure: { run.clients[$0].attach($1) }
        )
        log("connected \(set.connected) of \(run.clients.count) in \(format(set.connectSeconds)) s")
        var measureWall = 0.0
        var measureCPU = 0.0
        var serverCPU: Double?
        if !set.errors.isEmpty {
            problem = "\(set.errors.count) connections failed: " + summarize(set.errors)
        } else {
            let total = warmupActions + actions
            for client in run.clients {
                let answerSynced = self.answerSynced
                client.loop.execute {
                    client.answersSynced = answerSynced || client.index == 0
                    client.watch(sender: LoguxRun.senderNode, first: 1, count: total)
                    client.sendConnect(synced: 0)
                }
            }
            if case .failure(let failure) = await run.connected.future.wait(until: deadline) {
                problem = "waiting for connected: \(failure)"
            }
            if problem == nil {
                for client in run.clients.dropFirst() {
                    client.loop.execute { client.subscribe(channel, sequence: 1) }
                }
                if case .failure(let failure) = await run.subscribed.future.wait(until: deadline) {
                    problem = "waiting for the subscriptions: \(failure)"
                }
            }
            if problem == nil, warmupActions > 0 {
                log("warming up: \(warmupActions) actions")
                run.sender.loop.execute { run.startPhase(end: warmupActions) }
                if case .failure(let failure) = await waitMakingProgress(run.warmupDone.future, deadline: deadline, stallSeconds: stallSeconds, states: states) {
                    problem = "warm-up: \(failure)"
                }
            }
            if problem == nil {
                log("measuring: \(actions) actions to \(subscribers) subscribers, window \(window)")
                let cpuBefore = processCPUSeconds()
                let serverBefore = serverPID.flatMap { ProcFS.cpuSeconds(pid: $0) }
                let start = monotonicNanoseconds()
                run.sender.loop.execute { run.startPhase(end: total) }
                let result = await waitMakingProgress(run.measureDone.future, deadline: deadline, stallSeconds: stallSeconds, states: states)
                measureWall = seconds(from: start, to: monotonicNanoseconds())
                measureCPU = processCPUSeconds() - cpuBefore
                if let serverBefore, let serverAfter = serverPID.flatMap({ ProcFS.cpuSeconds(pid: $0) }) {
                    serverCPU = serverAfter - serverBefore
                }
                if case .failure(let failure) = result { problem = "measuring: \(failure)" }
            }
        }
        if problem == nil, let reason = run.failure.withLock({ $0 }) { problem = reason }

        // Give late duplicates a moment to show up, then collect.
        if problem == nil { try? await Task.sleep(nanoseconds: 200_000_000) }
        run.finishing.store(true, ordering: .sequentiallyConsistent)
        let totals = await LoguxLoopTotals.collect(states)
        let checks = await LoguxChecks.collect(run.clients.dropFirst())
        let pace = try? await run.sender.loop.submit { run.pace.totals() }.get()
        let senderUnexpected = (try? await run.sender.loop.submit { run.sender.unexpected }.get()) ?? 0
        let cleanCloses = await set.closeAll()

        let firstSend = pace?.firstMeasuredSend ?? .max
        let measuredSeconds = firstSend != .max && totals.lastEvent > firstSend ? Double(totals.lastEvent - firstSend) / 1e9 : 0
        let expectedDeliveries = subscribers * actions
        let lost = max(0, subscribers * (warmupActions + actions) - checks.received)
        let ok = problem == nil && totals.delivered == expectedDeliveries && lost == 0 && checks.duplicated == 0 && checks.unexpected == 0
            && senderUnexpected == 0 && pace?.processed == warmupActions + actions && set.dropped == 0
        var json = JSONObject()
        json["scenario"] = .string("logux-throughput")
        json["subscribers"] = .int(subscribers)
        json["actions"] = .int(actions)
        json["warmup_actions"] = .int(warmupActions)
        json["window"] = .int(window)
        json["subscribers_answer_synced"] = .bool(answerSynced)
        json["channel"] = .string(channel)
        json["expected_deliveries"] = .int(expectedDeliveries)
        json["delivered"] = .int(totals.delivered)
        json["processed"] = .int(pace?.processed ?? 0)
        json["sender_synced"] = .int(pace?.synced ?? 0)
        json["seconds"] = .number(measuredSeconds, decimals: 6)
        json["actions_per_second"] = .number(measuredSeconds > 0 ? Double(actions) / measuredSeconds : 0, decimals: 1)
        json["deliveries_per_second"] = .number(measuredSeconds > 0 ? Double(totals.delivered) / measuredSeconds : 0, decimals: 1)
        json["processed_latency_us"] = .object(latencyJSON(pace?.histogram ?? makeLatencyHistogram()))
        json["delivery_latency_us"] = .object(latencyJSON(totals.histogram))
        json["lost"] = .int(lost)
        json["duplicated"] = .int(checks.duplicated)
        json["reordered"] = .int(checks.reordered)
        json["unexpected"] = .int(checks.unexpected + senderUnexpected)
        json["subscriber_synced_sent"] = .int(checks.syncedSent)
        json["subscriber_bytes_received"] = .int(checks.bytesReceived)
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
        if let problem { json["error"] = .string(problem) }
        json["ok"] = .bool(ok)
        return json
    }
}

/// What the subscribers of a throughput run counted, summed.
struct LoguxChecks: Sendable {
    var received = 0
    var duplicated = 0
    var reordered = 0
    var unexpected = 0
    var syncedSent = 0
    var bytesReceived = 0

    /// Reads every client's counts on its loop and sums them.
    static func collect(_ clients: ArraySlice<LoguxClient>) async -> LoguxChecks {
        var checks = LoguxChecks()
        for client in clients {
            guard let part = try? await client.loop.submit({ LoguxChecks(client) }).get() else { continue }
            checks.received += part.received
            checks.duplicated += part.duplicated
            checks.reordered += part.reordered
            checks.unexpected += part.unexpected
            checks.syncedSent += part.syncedSent
            checks.bytesReceived += part.bytesReceived
        }
        return checks
    }

    /// Nothing counted.
    init() {}

    /// One client's counts (call on its loop).
    init(_ client: LoguxClient) {
        received = client.received
        duplicated = client.duplicated
        reordered = client.reordered
        unexpected = client.unexpected
        syncedSent = client.syncedSent
        bytesReceived = client.bytesReceived
    }
}
