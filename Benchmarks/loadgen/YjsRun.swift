import Histogram
import NIOCore
import Synchronization

/// The `yjs` scenario's parameters.
struct YjsConfig: Sendable {
    /// Editors in the room, each with its own client id and connection.
    var editors: Int
    /// Measured updates per editor, after `warmup` unmeasured ones.
    var updates: Int
    var warmup: Int
    /// ASCII bytes each update inserts (clock ticks per update).
    var bytes: Int
    /// Window mode: updates per editor in flight (sent, not yet received by every other editor).
    var window: Int
    /// Paced mode: updates per second per editor; nil = window mode.
    var rate: Double?
    /// Whether the room is a plain relay (the `chat` room): no sync handshake, nothing stored.
    var relay: Bool
    /// Milliseconds between readiness probes of one editor.
    var probeInterval: TimeAmount

    var total: Int { warmup + updates }
    /// Measured deliveries expected: every editor's measured updates at every other editor.
    var expectedDeliveries: Int { editors * (editors - 1) * updates }
    var expectedWarmupDeliveries: Int { editors * (editors - 1) * warmup }

    /// Editor `index`'s Yjs client id.
    func clientID(_ index: Int) -> UInt64 { YjsWire.baseClientID + UInt64(index) }
}

/// Per-event-loop accounting of the `yjs` scenario: only touched on `loop`, merged at the end.
final class YjsLoopState: @unchecked Sendable {
    let loop: any EventLoop
    var editors: [YjsEditor] = []
    var tally = DeliveryTally()
    /// Frames accepted on this loop (probes included): the stall detector's heartbeat.
    var progress = 0

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// What this loop saw, taken on the loop.
    func snapshot(maxExamples: Int) -> YjsLoopSnapshot {
        loop.preconditionInEventLoop()
        var snapshot = YjsLoopSnapshot(tally: tally)
        for editor in editors {
            snapshot.firstSend = min(snapshot.firstSend, editor.firstMeasuredSend)
            snapshot.lastSend = max(snapshot.lastSend, editor.lastSend)
            snapshot.sent += editor.sentCount
            snapshot.probesSent += editor.probesSent
            snapshot.awarenessReceived += editor.awarenessReceived
            snapshot.step1Received += editor.step1Received
            snapshot.step2Received += editor.step2Received
            snapshot.nonEmptyStep1 += editor.nonEmptyStep1
            if snapshot.missing.count < maxExamples {
                snapshot.missing += editor.missingExamples(limit: maxExamples - snapshot.missing.count)
            }
        }
        return snapshot
    }
}

/// One loop's figures at the end of a run.
struct YjsLoopSnapshot: Sendable {
    var tally: DeliveryTally
    var firstSend: UInt64 = .max
    var lastSend: UInt64 = 0
    var sent = 0
    var probesSent = 0
    var awarenessReceived = 0
    var step1Received = 0
    var step2Received = 0
    var nonEmptyStep1 = 0
    var missing: [String] = []
}

/// Everything the editors of a `yjs` run share across event loops.
final class YjsRun: Sendable {
    let config: YjsConfig
    let editors: [YjsEditor]
    /// Per editor and sequence number (editor * total + sequence): when it was sent (monotonic ns).
    let sentAt: AtomicCounters
    /// Window mode: per editor and sequence number, receivers still to receive it.
    let remaining: AtomicCounters?
    /// Per editor: its updates every other editor has received (window mode).
    let completed: AtomicCounters
    /// Per editor: 1 while it waits for its window to open.
    let waiting: AtomicCounters
    /// Counts editors down as they become ready (sync done, every other editor's probe seen).
    let ready: CountdownSignal
    /// Set once every editor is ready: probes stop.
    let isReadyFlag = Atomic<Bool>(false)
    /// Counts receivers down as they have every warm-up or every update.
    let warmupDone: CountdownSignal
    let measureDone: CountdownSignal
    /// Set once the load is over and connections are being closed on purpose.
    let finishing = Atomic<Bool>(false)
    let failure = Mutex<String?>(nil)

    init(config: YjsConfig, loops: [YjsLoopState]) {
        self.config = config
        let n = config.editors
        sentAt = AtomicCounters(count: n * config.total, initialValue: 0)
        remaining = config.rate == nil ? AtomicCounters(count: n * config.total, initialValue: n - 1) : nil
        completed = AtomicCounters(count: n, initialValue: 0)
        waiting = AtomicCounters(count: n, initialValue: 0)
        let signalLoop = loops[0].loop
        ready = CountdownSignal(count: n, on: signalLoop)
        warmupDone = CountdownSignal(count: config.warmup > 0 ? n : 0, on: signalLoop)
        measureDone = CountdownSignal(count: n, on: signalLoop)
        var editors: [YjsEditor] = []
        for index in 0..<n {
            editors.append(YjsEditor(index: index, config: config, state: loops[index % loops.count]))
        }
        self.editors = editors
        for editor in editors {
            editor.run = self
            editor.state.editors.append(editor)
        }
    }

    var isFinishing: Bool { finishing.load(ordering: .sequentiallyConsistent) }
    var isReady: Bool { isReadyFlag.load(ordering: .sequentiallyConsistent) }

    /// Ends every wait at once.
    func abort(_ reason: String) {
        let first = failure.withLock { current -> Bool in
            guard current == nil else { return false }
            current = reason
            return true
        }
        guard first else { return }
        for signal in [ready, warmupDone, measureDone] { signal.fail(RunFailure.aborted(reason)) }
    }

    /// Update `sequence` of `editor` reached one more receiver; the last one opens its window by one.
    @inline(__always)
    func arrived(editor: Int, sequence: Int) {
        guard let remaining, remaining.add(editor * config.total + sequence, -1) == 0 else { return }
        completed.add(editor, 1)
        if waiting.exchange(editor, 0) == 1 {
            let sender = editors[editor]
            sender.loop.execute { sender.pump() }
        }
    }
}

/// One editor of the `yjs` scenario: a connection with its own Yjs client id that appends
/// `bytes`-long inserts to the shared text, and checks that it receives every other editor's
/// updates exactly once and in order. Confined to its event loop, except for the fixed fields.
final class YjsEditor: WebSocketSink, @unchecked Sendable {
    let index: Int
    let config: YjsConfig
    let state: YjsLoopState
    let clientID: UInt64
    unowned(unsafe) var run: YjsRun!
    var ws: WebSocketClient?

    var loop: any EventLoop { state.loop }

    // Readiness
    private var seenProbe: [Bool]
    private var probesSeen = 0
    private var syncDone: Bool
    private var isReady = false
    private(set) var probesSent = 0
    private(set) var awarenessReceived = 0
    private(set) var step1Received = 0
    private(set) var step2Received = 0
    /// Step 1 messages from the server whose state vector was not empty (the room was not new).
    private(set) var nonEmptyStep1 = 0

    // Receiving: per sender, a bit per sequence number, the highest seen, and counts.
    private var seen: [UInt64]
    private var highest: [Int]
    private var receivedFrom: [Int]
    private var received = 0
    private let warmupTarget: Int
    private let totalTarget: Int

    // Sending
    private var sent = 0
    private var phaseEnd = 0
    private(set) var firstMeasuredSend: UInt64 = .max
    private(set) var lastSend: UInt64 = 0
    private var timer: Scheduled<Void>?
    private var paceStart: UInt64 = 0
    private var paceFirst = 0

    var sentCount: Int { sent }

    init(index: Int, config: YjsConfig, state: YjsLoopState) {
        self.index = index
        self.config = config
        self.state = state
        self.clientID = config.clientID(index)
        let n = config.editors
        seenProbe = [Bool](repeating: false, count: n)
        syncDone = config.relay
        seen = [UInt64](repeating: 0, count: (n * config.total + 63) / 64)
        highest = [Int](repeating: -1, count: n)
        receivedFrom = [Int](repeating: 0, count: n)
        warmupTarget = (n - 1) * config.warmup
        totalTarget = (n - 1) * config.total
    }

    func attach(_ client: WebSocketClient) {
        ws = client
        client.sink = self
    }

    // MARK: Readiness

    /// Starts the sync (Yjs: step 1 with an empty state vector, as y-websocket clients do on open)
    /// and sends readiness probes (awareness entries) until every editor saw every other one.
    func start() {
        loop.preconditionInEventLoop()
        guard let ws, ws.isOpen else { return }
        if !config.relay {
            ws.writeBinary(length: YjsWire.emptyStep1.count) { $0.copyBytes(from: YjsWire.emptyStep1) }
        }
        probe()
    }

    private func probe() {
        guard let ws, ws.isOpen, !run.isFinishing, !run.isReady else {
            timer = nil
            return
        }
        probesSent += 1
        let frame = YjsWire.awarenessProbe(client: clientID, clock: UInt64(probesSent), index: index)
        ws.writeBinary(length: frame.count) { $0.copyBytes(from: frame) }
        ws.flush()
        timer = loop.scheduleTask(in: config.probeInterval) { [self] in probe() }
    }

    private func checkReady() {
        guard !isReady, syncDone, probesSeen == config.editors - 1 else { return }
        isReady = true
        run.ready.countDown()
    }

    // MARK: Receiving

    func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, now: UInt64) {
        guard !isText else {
            state.tally.unexpected += 1
            return
        }
        switch YjsWire.frame(payload) {
        case .insert(let client, let clock, let text):
            take(payload, client: client, clock: clock, text: text, now: now)
        case .awareness(let body):
            awarenessReceived += 1
            let wellFormed = YjsWire.forEachAwarenessClient(UnsafeRawBufferPointer(rebasing: payload[body])) { client in
                guard client >= YjsWire.baseClientID, client < YjsWire.baseClientID + UInt64(config.editors) else { return }
                let sender = Int(client - YjsWire.baseClientID)
                if sender != index, !seenProbe[sender] {
                    seenProbe[sender] = true
                    probesSeen += 1
                    state.progress += 1
                }
            }
            if !wellFormed { state.tally.unexpected += 1 }
            checkReady()
        case .step1(let body):
            step1Received += 1
            if body.count != 1 || payload[body.lowerBound] != 0 { nonEmptyStep1 += 1 }
        case .step2:
            step2Received += 1
            if !syncDone {
                syncDone = true
                checkReady()
            }
        case .otherUpdate, .other:
            state.tally.unexpected += 1
        }
    }

    @inline(__always)
    private func take(_ payload: UnsafeRawBufferPointer, client: UInt64, clock: UInt64, text: Range<Int>, now: UInt64) {
        let bytes = UInt64(config.bytes)
        guard client >= YjsWire.baseClientID, client < YjsWire.baseClientID + UInt64(config.editors), clock % bytes == 0,
            text.count == config.bytes
        else {
            state.tally.unexpected += 1
            return
        }
        let sender = Int(client - YjsWire.baseClientID)
        let sequence = Int(clock / bytes)
        guard sender != index, sequence < config.total, YjsWire.readSequenceText(payload, text) == sequence else {
            state.tally.unexpected += 1
            return
        }
        let bit = sender * config.total + sequence
        let mask: UInt64 = 1 << UInt64(bit & 63)
        if seen[bit >> 6] & mask != 0 {
            state.tally.duplicated += 1
            return
        }
        seen[bit >> 6] |= mask
        if sequence < highest[sender] {
            state.tally.reordered += 1
        } else {
            highest[sender] = sequence
        }
        receivedFrom[sender] += 1
        received += 1
        state.progress += 1
        if sequence >= config.warmup {
            state.tally.delivered += 1
            let sent = UInt64(truncatingIfNeeded: run.sentAt.load(bit))
            state.tally.histogram.record(now > sent ? now - sent : 0)
            if now > state.tally.lastReceive { state.tally.lastReceive = now }
        } else {
            state.tally.warmupDelivered += 1
        }
        run.arrived(editor: sender, sequence: sequence)
        if received == warmupTarget, config.warmup > 0 { run.warmupDone.countDown() }
        if received == totalTarget { run.measureDone.countDown() }
    }

    func webSocketDidClose(_ client: WebSocketClient) {
        ws = nil
        timer?.cancel()
        timer = nil
        guard !run.isFinishing, client.closeInfo.wasOpen else { return }
        state.tally.disconnected += 1
        if let violation = client.protocolViolation {
            run.abort("editor \(index) was closed during the run after a protocol error: \(violation)")
        } else {
            let code = client.closeInfo.serverCode.map { " with code \($0)" } ?? " without a close frame"
            run.abort("editor \(index) was closed by the server\(code) during the run")
        }
    }

    /// Up to `limit` descriptions of updates this editor is still missing.
    func missingExamples(limit: Int) -> [String] {
        var examples: [String] = []
        for sender in 0..<config.editors where sender != index && examples.count < limit {
            let missing = config.total - receivedFrom[sender]
            guard missing > 0 else { continue }
            var first = -1
            for sequence in 0..<config.total {
                let bit = sender * config.total + sequence
                if seen[bit >> 6] & (1 << UInt64(bit & 63)) == 0 {
                    first = sequence
                    break
                }
            }
            examples.append("editor \(index) is missing \(missing) of \(config.total) updates of editor \(sender), first seq \(first)")
        }
        return examples
    }

    // MARK: Sending

    /// Sends this editor's updates up to (not including) sequence number `end`.
    func startPhase(end: Int) {
        loop.preconditionInEventLoop()
        timer?.cancel()
        timer = nil
        phaseEnd = end
        if let rate = config.rate {
            paceStart = monotonicNanoseconds()
            paceFirst = sent
            paceTick(rate: rate)
        } else {
            pump()
        }
    }

    /// Window mode: sends while fewer than `window` updates are in flight.
    func pump() {
        guard let ws, ws.isOpen else { return }
        let run = self.run!
        var wrote = false
        while sent < phaseEnd {
            if sent - run.completed.load(index) >= config.window {
                run.waiting.store(index, 1)
                if sent - run.completed.load(index) >= config.window { break }
                run.waiting.store(index, 0)
            }
            sendOne(ws)
            wrote = true
        }
        if wrote { ws.flush() }
    }

    /// Paced mode: sends what is due every tick (at least 1 ms apart), catching up after a late tick.
    private func paceTick(rate: Double) {
        guard let ws, ws.isOpen else {
            timer = nil
            return
        }
        let elapsed = Double(monotonicNanoseconds() - paceStart)
        let due = min(phaseEnd, paceFirst + Int(elapsed * rate / 1_000_000_000) + 1)
        var wrote = false
        while sent < due {
            sendOne(ws)
            wrote = true
        }
        if wrote { ws.flush() }
        guard sent < phaseEnd else {
            timer = nil
            return
        }
        let interval = max(1_000_000, Int64(1_000_000_000 / rate))
        timer = loop.scheduleTask(in: .nanoseconds(interval)) { [self] in paceTick(rate: rate) }
    }

    @inline(__always)
    private func sendOne(_ ws: WebSocketClient) {
        let sequence = sent
        sent += 1
        let now = monotonicNanoseconds()
        if sequence >= config.warmup, firstMeasuredSend == .max { firstMeasuredSend = now }
        lastSend = now
        run.sentAt.store(index * config.total + sequence, Int(truncatingIfNeeded: now))
        let clock = UInt64(sequence * config.bytes)
        let client = clientID
        let bytes = config.bytes
        ws.writeBinary(length: YjsWire.insertFrameLength(client: client, clock: clock, textBytes: bytes)) { out in
            YjsWire.writeInsertFrame(client: client, clock: clock, textBytes: bytes, into: out) { text in
                YjsWire.writeSequenceText(sequence, into: text)
            }
        }
    }
}
