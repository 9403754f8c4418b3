import NIOCore
import NIOPosix

/// The `logux` resend scenario, in rounds (`{i}` in the URL becomes the round number, so each
/// round can have a room and log of its own): a sender connects; a new subscriber connects,
/// subscribes to the channel and disconnects; the sender adds ACTIONS increments to the channel;
/// the subscriber connects again with `connect`'s synced set to the last `added` it received,
/// and the time from sending `connect` until every missed action arrived is measured. Each
/// action must arrive exactly once (a `ping` after the last one flushes out any late duplicate
/// before the check).
struct LoguxResend {
    var actions: Int
    var rounds: Int
    /// Actions per `sync` when the sender adds, and batches awaiting `synced` at once.
    var batch: Int
    var syncWindow: Int
    var channel: String
    var serverPID: Int32?
    /// Whether connections offer permessage-deflate.
    var deflate = false

    /// Why a step failed.
    private struct StepFailure: Error {
        let reason: String
    }

    /// Runs every round and returns the result (its `ok` says whether every check passed).
    func run(target: TargetURL, group: MultiThreadedEventLoopGroup, deadline: NIODeadline) async -> JSONObject {
        let loop = group.next()
        let state = LoguxLoopState(loop: loop)
        let watch = LoguxResendWatch(loop: loop)
        var results: [JSONObject] = []
        var resendSeconds: [Double] = []
        var problem: String?
        var closes: [EventLoopFuture<WebSocketCloseInfo>] = []
        do {
            for round in 1...rounds {
                log("round \(round) of \(rounds): subscribe, disconnect, add \(actions) actions, reconnect")
                var result = try await self.round(round, target: target, state: state, watch: watch, deadline: deadline, closes: &closes)
                if case .double(let seconds, _)? = result["resend_seconds"] { resendSeconds.append(seconds) }
                result["round"] = .int(round)
                results.append(result)
            }
        } catch let failure as StepFailure {
            problem = failure.reason
        } catch {
            problem = String(describing: error)
        }
        _ = await watch.onLoop { watch.closing = Set(0..<(3 * rounds)) }
        _ = await EventLoopFuture.whenAllComplete(closes, on: loop).map { _ in () }.wait(until: .now() + .seconds(1))

        let sorted = resendSeconds.sorted()
        var json = JSONObject()
        json["scenario"] = .string("logux-resend")
        json["actions"] = .int(actions)
        json["rounds"] = .int(rounds)
        json["batch"] = .int(batch)
        json["sync_window"] = .int(syncWindow)
        json["channel"] = .string(channel)
        if !sorted.isEmpty {
            let median = sorted[sorted.count / 2]
            json["resend_seconds_median"] = .number(median, decimals: 6)
            json["resend_seconds_min"] = .number(sorted[0], decimals: 6)
            json["resend_seconds_max"] = .number(sorted[sorted.count - 1], decimals: 6)
            json["resend_actions_per_second"] = .number(Double(actions) / median, decimals: 1)
        }
        json["round_results"] = .array(results.map(JSONValue.object))
        if let problem { json["error"] = .string(problem) }
        json["ok"] = .bool(problem == nil && results.count == rounds)
        return json
    }

    /// One round in room `round` (with `{i}` in the URL) with a new sender and subscriber; the
    /// sender's actions 1 ... ACTIONS are the missed ones.
    private func round(
        _ round: Int, target: TargetURL, state: LoguxLoopState, watch: LoguxResendWatch, deadline: NIODeadline,
        closes: inout [EventLoopFuture<WebSocketCloseInfo>]
    ) async throws -> JSONObject {
        let node = "resend\(round):1:1"
        let channel = self.channel
        let actions = self.actions
        let first = 1
        let path = target.path(room: round)

        let sender = LoguxClient(index: 3 * (round - 1), node: LoguxRun.senderNode, state: state)
        closes.append(try await open(sender, path: path, target: target, watch: watch, deadline: deadline))
        _ = await watch.onLoop { sender.sendConnect(synced: 0) }
        try await step("the sender's connected (round \(round))", watch.wait(until: deadline) { sender.base != nil })

        // 1. Subscribe, confirm what arrived, leave.
        let subscriber = LoguxClient(index: 3 * (round - 1) + 1, node: node, state: state)
        let firstClosed = try await open(subscriber, path: path, target: target, watch: watch, deadline: deadline)
        closes.append(firstClosed)
        _ = await watch.onLoop { subscriber.sendConnect(synced: 0) }
        try await step("connected (round \(round))", watch.wait(until: deadline) { subscriber.base != nil })
        _ = await watch.onLoop { subscriber.subscribe(channel, sequence: 1) }
        try await step("the subscription (round \(round))", watch.wait(until: deadline) { subscriber.processedCount >= 1 })
        try await pingPong(subscriber, watch: watch, deadline: deadline)
        let synced = await watch.onLoop { subscriber.lastAdded } ?? 0
        _ = await watch.onLoop {
            watch.closing.insert(subscriber.index)
            subscriber.close()
        }
        try await step("the subscriber's close (round \(round))", firstClosed.map { _ in () }.wait(until: deadline))
        // The server records where the node stopped when it handles the close.
        try? await Task.sleep(nanoseconds: 200_000_000)

        // 2. The sender adds the actions the subscriber misses.
        let processedBefore = await watch.onLoop { sender.processedCount } ?? 0
        let addStart = monotonicNanoseconds()
        _ = await watch.onLoop { watch.startAdding(sender, first: first, count: actions, batch: batch, window: syncWindow) }
        try await step("adding \(actions) actions (round \(round))", watch.wait(until: deadline) {
            watch.addingDone && sender.processedCount >= processedBefore + actions
        })
        let addSeconds = seconds(from: addStart, to: monotonicNanoseconds())

        // 3. The subscriber comes back with synced = the last added it received.
        let again = LoguxClient(index: 3 * (round - 1) + 2, node: node, state: state)
        closes.append(try await open(again, path: path, target: target, watch: watch, deadline: deadline))
        let cpuBefore = serverPID.flatMap { ProcFS.cpuSeconds(pid: $0) }
        let start = await watch.onLoop { () -> UInt64 in
            again.watch(sender: LoguxRun.senderNode, first: first, count: actions)
            let start = monotonicNanoseconds()
            again.sendConnect(synced: synced)
            return start
        } ?? 0
        try await step("the resend (round \(round))", watch.wait(until: deadline) { again.received >= actions })
        let cpuAfter = serverPID.flatMap { ProcFS.cpuSeconds(pid: $0) }
        try await pingPong(again, watch: watch, deadline: deadline)
        guard let figures = await watch.onLoop({ ResendFigures(again, watch) }) else { throw StepFailure(reason: "the loop stopped") }
        _ = await watch.onLoop {
            watch.closing.formUnion([again.index, sender.index])
            again.close()
            sender.close()
        }
        let resendSeconds = seconds(from: start, to: figures.lastDelivery)
        var json = JSONObject()
        json["synced"] = .int(synced)
        json["add_seconds"] = .number(addSeconds, decimals: 6)
        json["add_actions_per_second"] = .number(addSeconds > 0 ? Double(actions) / addSeconds : 0, decimals: 1)
        json["resend_seconds"] = .number(resendSeconds, decimals: 6)
        json["connected_after_ms"] = .number(seconds(from: start, to: figures.connectedAt) * 1000, decimals: 3)
        json["received"] = .int(figures.received)
        json["duplicated"] = .int(figures.duplicated)
        json["reordered"] = .int(figures.reordered)
        json["unexpected"] = .int(figures.unexpected)
        json["sync_messages"] = .int(figures.syncs)
        json["bytes"] = .int(figures.bytes)
        if let cpuBefore, let cpuAfter { json["server_cpu_seconds"] = .number(cpuAfter - cpuBefore) }
        guard figures.received == actions, figures.duplicated == 0, figures.unexpected == 0 else {
            throw StepFailure(reason: "round \(round): received \(figures.received) of \(actions), \(figures.duplicated) duplicated, \(figures.unexpected) unexpected")
        }
        log("round \(round): \(actions) actions resent in \(format(resendSeconds * 1000, decimals: 1)) ms")
        return json
    }

    /// What the returning subscriber received, read on the loop.
    private struct ResendFigures: Sendable {
        var lastDelivery: UInt64
        var connectedAt: UInt64
        var received: Int
        var duplicated: Int
        var reordered: Int
        var unexpected: Int
        var syncs: Int
        var bytes: Int

        /// The figures of `client` (call on the loop).
        init(_ client: LoguxClient, _ watch: LoguxResendWatch) {
            lastDelivery = watch.lastDelivery
            connectedAt = watch.connectedAt
            received = client.received
            duplicated = client.duplicated
            reordered = client.reordered
            unexpected = client.unexpected
            syncs = client.syncsReceived
            bytes = client.bytesReceived
        }
    }

    /// Opens `client`'s connection to `path` on the watch's loop; returns the future of its close.
    private func open(
        _ client: LoguxClient, path: String, target: TargetURL, watch: LoguxResendWatch, deadline: NIODeadline
    ) async throws -> EventLoopFuture<WebSocketCloseInfo> {
        client.observer = watch
        let attempt = Connector(target: target, deflate: deflate).open(index: client.index, path: path, on: watch.loop, deadline: deadline) {
            client.attach($0)
        }
        do {
            _ = try await attempt.opened.get()
        } catch {
            throw StepFailure(reason: "connection \(client.index) failed: \(describe(error))")
        }
        return attempt.closed
    }

    /// Sends `ping` and waits for the `pong`: everything the server sent before has arrived.
    private func pingPong(_ client: LoguxClient, watch: LoguxResendWatch, deadline: NIODeadline) async throws {
        let before = await watch.onLoop { () -> Int in
            client.ping()
            return watch.pongs
        } ?? 0
        try await step("a pong", watch.wait(until: deadline) { watch.pongs > before })
    }

    /// Throws with `what` when `result` is a failure.
    private func step(_ what: String, _ result: Result<Void, RunFailure>) throws {
        if case .failure(let failure) = result { throw StepFailure(reason: "waiting for \(what): \(failure)") }
    }
}
