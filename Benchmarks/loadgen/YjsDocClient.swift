import Histogram
import NIOCore

/// One connection of the `yjs-doc` scenarios, confined to its event loop: records when the
/// server's sync step 1 and the step 2 answering this client's own step 1 arrive, and (as the
/// observer of a build) checks the single-character updates the server forwards.
final class YjsDocClient: WebSocketSink, @unchecked Sendable {
    let loop: any EventLoop
    private(set) var ws: WebSocketClient?

    // Sync
    /// When the handshake's 101 arrived, and the server's step 1 and step 2 (monotonic ns).
    var openedAt: UInt64 = 0
    private(set) var step1At: UInt64 = 0
    private(set) var step2At: UInt64 = 0
    /// The server's state vector, from its step 1.
    private(set) var stateVector: [UInt64: UInt64]?
    private(set) var step1Bytes = 0
    private(set) var step2Bytes = 0
    /// Completes when step 1 arrived, and when step 2 arrived.
    let step1: EventLoopPromise<Void>
    let step2: EventLoopPromise<Void>

    // Observing a build
    /// How many updates the writer sends, from how many client ids (update u is client u % clients,
    /// clock u / clients); set before the build starts.
    var clients = 1
    var expected = 0
    /// When each update was sent (set by the writer, same loop).
    var sentAt: [UInt64] = []
    private var nextClock: [UInt64] = []
    private(set) var observed = 0
    private(set) var duplicated = 0
    private(set) var reordered = 0
    private(set) var unexpected = 0
    private(set) var lastObserved: UInt64 = 0
    var histogram = makeLatencyHistogram()
    /// Called on each update observed (the writer's window opens).
    var onObserved: (() -> Void)?
    /// Completes when `expected` updates were observed.
    let done: EventLoopPromise<Void>
    /// Why the connection failed the run, if it did.
    private(set) var failure: String?

    init(loop: any EventLoop) {
        self.loop = loop
        step1 = loop.makePromise()
        step2 = loop.makePromise()
        done = loop.makePromise()
    }

    func attach(_ client: WebSocketClient) {
        ws = client
        client.sink = self
    }

    /// Sends sync step 1 with an empty state vector: the server answers with the whole document.
    func sendEmptyStep1() {
        guard let ws else { return }
        ws.writeBinary(length: YjsWire.emptyStep1.count) { $0.copyBytes(from: YjsWire.emptyStep1) }
        ws.flush()
    }

    /// Prepares to observe `count` updates from `clients` client ids.
    func observe(count: Int, clients: Int) {
        self.clients = clients
        expected = count
        sentAt = [UInt64](repeating: 0, count: count)
        nextClock = [UInt64](repeating: 0, count: clients)
    }

    func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, now: UInt64) {
        guard !isText else {
            fail("a text frame arrived")
            return
        }
        switch YjsWire.frame(payload) {
        case .step1(let body):
            guard step1At == 0 else { return }
            step1At = now
            step1Bytes = payload.count
            stateVector = YjsWire.stateVector(UnsafeRawBufferPointer(rebasing: payload[body]))
            if stateVector == nil { fail("a malformed state vector in step 1") }
            complete(0)
        case .step2:
            guard step2At == 0 else { return }
            step2At = now
            step2Bytes = payload.count
            complete(1)
        case .insert(let clientID, let clock, let text):
            take(clientID: clientID, clock: clock, text: text, now: now)
        case .awareness:
            break
        case .otherUpdate, .other:
            unexpected += 1
        }
    }

    private func take(clientID: UInt64, clock: UInt64, text: Range<Int>, now: UInt64) {
        guard expected > 0, clientID >= YjsWire.baseClientID, clientID < YjsWire.baseClientID + UInt64(clients), text.count == 1 else {
            unexpected += 1
            return
        }
        let client = Int(clientID - YjsWire.baseClientID)
        let update = Int(clock) * clients + client
        guard update < expected else {
            unexpected += 1
            return
        }
        if clock < nextClock[client] {
            duplicated += 1
            return
        }
        if clock > nextClock[client] { reordered += 1 }
        nextClock[client] = clock + 1
        observed += 1
        lastObserved = now
        let sent = sentAt[update]
        histogram.record(now > sent ? now - sent : 0)
        onObserved?()
        if observed == expected { complete(2) }
    }

    /// Which of step1, step2 and done are completed (each promise is completed once).
    private var completed = [false, false, false]

    private func complete(_ which: Int, failing reason: String? = nil) {
        guard !completed[which] else { return }
        completed[which] = true
        let promise = [step1, step2, done][which]
        if let reason { promise.fail(RunFailure.aborted(reason)) } else { promise.succeed(()) }
    }

    private func fail(_ reason: String) {
        if failure == nil { failure = reason }
        for which in 0..<3 { complete(which, failing: reason) }
    }

    func webSocketDidClose(_ client: WebSocketClient) {
        ws = nil
        let code = client.closeInfo.serverCode.map { " with code \($0)" } ?? " without a close frame"
        for which in 0..<3 { complete(which, failing: "the connection was closed\(code)") }
    }

    /// Writes update `index` of a build: client `index % clients` types one character at its
    /// clock `index / clients` (after its own previous character).
    func sendBuildUpdate(_ index: Int, writerOf observer: YjsDocClient) {
        guard let ws else { return }
        let clients = observer.clients
        let client = YjsWire.baseClientID + UInt64(index % clients)
        let clock = UInt64(index / clients)
        observer.sentAt[index] = monotonicNanoseconds()
        let letter = UInt8(ascii: "a") + UInt8(truncatingIfNeeded: clock % 26)
        ws.writeBinary(length: YjsWire.insertFrameLength(client: client, clock: clock, textBytes: 1)) { out in
            YjsWire.writeInsertFrame(client: client, clock: clock, textBytes: 1, into: out) { text in
                text.storeBytes(of: letter, toByteOffset: 0, as: UInt8.self)
            }
        }
    }
}

/// The times of one sync from a new connection, in milliseconds from the connection attempt.
struct YjsSyncTiming: Sendable {
    var openMs = 0.0
    var step1Ms = 0.0
    var step2Ms = 0.0
    var step1Bytes = 0
    var step2Bytes = 0
    var clients = 0
    var clockTotal: UInt64 = 0

    var json: JSONObject {
        var json = JSONObject()
        json["open_ms"] = .number(openMs)
        json["step1_ms"] = .number(step1Ms)
        json["step2_ms"] = .number(step2Ms)
        json["step1_bytes"] = .int(step1Bytes)
        json["step2_bytes"] = .int(step2Bytes)
        json["state_vector_clients"] = .int(clients)
        json["state_vector_clock_total"] = .int(Int(clockTotal))
        return json
    }
}

/// Opens a connection to `target`, sends an empty sync step 1 as soon as it is open (as
/// y-websocket clients do) and times the server's step 1 and its step 2; the connection stays
/// open (the caller closes it) so the room stays loaded.
func yjsSyncProbe(target: TargetURL, loop: any EventLoop, deadline: NIODeadline) async -> (YjsDocClient, ConnectionSet, Result<YjsSyncTiming, RunFailure>) {
    let probe = YjsDocClient(loop: loop)
    let start = monotonicNanoseconds()
    let set = await ConnectionSet.open(
        count: 1, concurrency: 1, connector: Connector(target: target), deadline: deadline,
        path: { _ in target.path(room: 0) }, loop: { _ in loop }, configure: { _, client in probe.attach(client) }
    )
    guard set.errors.isEmpty else { return (probe, set, .failure(.aborted("connect: " + summarize(set.errors)))) }
    let opened = monotonicNanoseconds()
    loop.execute {
        probe.openedAt = opened
        probe.sendEmptyStep1()
    }
    if case .failure(let failure) = await probe.step1.futureResult.wait(until: deadline) { return (probe, set, .failure(failure)) }
    if case .failure(let failure) = await probe.step2.futureResult.wait(until: deadline) { return (probe, set, .failure(failure)) }
    let timing = try? await loop.submit { () -> YjsSyncTiming in
        let vector = probe.stateVector ?? [:]
        return YjsSyncTiming(
            openMs: Double(opened - start) / 1e6,
            step1Ms: Double(probe.step1At - start) / 1e6,
            step2Ms: Double(probe.step2At - start) / 1e6,
            step1Bytes: probe.step1Bytes,
            step2Bytes: probe.step2Bytes,
            clients: vector.count,
            clockTotal: vector.values.reduce(0, +)
        )
    }.get()
    guard let timing else { return (probe, set, .failure(.aborted("reading the probe's times"))) }
    return (probe, set, .success(timing))
}
