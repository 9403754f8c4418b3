import NIOCore

/// One Logux protocol-5 connection of the `logux` scenarios: sends `connect`, subscriptions and
/// `counter/increment` actions with `[shift, seq]` ids, answers every server `sync` with
/// `["synced", added]` (the answers of one read are flushed together), and counts the
/// increments of one sender node in an expected range of sequence numbers, each exactly once.
/// Confined to its event loop, except for the fields set before the run starts.
final class LoguxClient: WebSocketSink, @unchecked Sendable {
    /// The connection's index in its scenario.
    let index: Int
    /// This client's node id, `user:client:tab`.
    let node: String
    let state: LoguxLoopState
    /// Gets the events; weak, so a late close after the scenario ended reaches nobody.
    weak var observer: (any LoguxObserver)?
    private(set) var ws: WebSocketClient?
    /// Whether server `sync` messages are answered with `synced` (real clients always answer).
    var answersSynced = true

    /// The `connected` message's `end`: ids and times on the wire are shifted from it.
    private(set) var base: Int?
    /// When `connected` arrived (monotonic), to compute time shifts without reading the wall clock.
    private var connectedAt: UInt64 = 0
    /// The highest `added` of the server's `sync` messages: the `synced` of a later `connect`.
    private(set) var lastAdded = 0

    /// The node whose increments are counted, and their expected sequence numbers.
    private var watchedNode: [UInt8] = []
    private var firstSequence = 0
    private var expectedCount = 0
    private var seen: [UInt64] = []
    private var highest = 0
    /// Increments of the expected range received (each counted once).
    private(set) var received = 0
    private(set) var duplicated = 0
    private(set) var reordered = 0
    /// Actions neither expected nor known (`logux/undo`, an increment out of range, …).
    private(set) var unexpected = 0
    private(set) var processedCount = 0
    private(set) var syncsReceived = 0
    private(set) var bytesReceived = 0
    private(set) var syncedSent = 0
    private var flushPending = false

    var loop: any EventLoop { state.loop }

    /// Connection `index` as node `node`, on `state`'s loop.
    init(index: Int, node: String, state: LoguxLoopState) {
        self.index = index
        self.node = node
        self.state = state
    }

    /// Takes the connection's messages (called on the loop, before any byte is read).
    func attach(_ client: WebSocketClient) {
        ws = client
        client.sink = self
    }

    /// Counts the increments of `sender` with sequence numbers `first ..< first + count` from now
    /// on, forgetting earlier ones.
    func watch(sender: String, first: Int, count: Int) {
        loop.preconditionInEventLoop()
        watchedNode = Array(sender.utf8)
        firstSequence = first
        expectedCount = count
        seen = [UInt64](repeating: 0, count: (count + 63) / 64)
        highest = 0
        received = 0
        duplicated = 0
        reordered = 0
    }

    // MARK: Sending

    /// Sends `connect` with `synced` (the last `added` this node received before).
    func sendConnect(synced: Int) {
        send(LoguxWire.connect(node: node, synced: synced))
    }

    /// Sends `logux/subscribe` to `channel` as action `sequence`.
    func subscribe(_ channel: String, sequence: Int) {
        send(LoguxWire.sync([#"{"channel":""# + channel + #"","type":"logux/subscribe"}"#], firstSequence: sequence, shift: shift()))
    }

    /// Sends `counter/increment` actions `first ..< first + count` in one `sync`.
    func sendIncrements(first: Int, count: Int) {
        send(LoguxWire.sync([String](repeating: #"{"type":"counter/increment"}"#, count: count), firstSequence: first, shift: shift()))
    }

    /// Queues `counter/increment` action `sequence` alone in a `sync`; `flush()` sends what is queued.
    @inline(__always)
    func queueIncrement(sequence: Int) {
        guard let ws else { return }
        let shift = shift()
        ws.writeText(length: LoguxWire.incrementLength(sequence: sequence, shift: shift)) { out in
            LoguxWire.writeIncrement(sequence: sequence, shift: shift, into: out)
        }
    }

    /// Sends what is queued.
    func flush() {
        ws?.flush()
    }

    /// Sends `["ping", lastAdded]`; the server answers `pong` after everything it sent before.
    func ping() {
        send(#"["ping",\#(lastAdded)]"#)
    }

    /// Starts the closing handshake.
    func close() {
        ws?.close()
    }

    /// Milliseconds since `connected`: the time shift of an action made now.
    private func shift() -> Int {
        connectedAt == 0 ? 0 : Int((monotonicNanoseconds() &- connectedAt) / 1_000_000)
    }

    /// Sends `text` as one text frame at once.
    private func send(_ text: String) {
        guard let ws else { return }
        let bytes = Array(text.utf8)
        ws.writeText(length: bytes.count) { out in out.copyBytes(from: bytes) }
        ws.flush()
    }

    // MARK: Receiving

    /// Reads one server frame.
    func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, now: UInt64) {
        bytesReceived += payload.count
        state.progress += 1
        guard isText else {
            observer?.logux(self, failed: "connection \(index) received a binary frame")
            return
        }
        switch LoguxWire.frame(payload) {
        case .connected(let base):
            self.base = base
            connectedAt = now
            observer?.loguxConnected(self, now: now)
        case .sync(let added):
            syncsReceived += 1
            let wellFormed = LoguxWire.forEachPair(payload) { action, meta in take(action, meta, now: now) }
            guard wellFormed else {
                observer?.logux(self, failed: "connection \(index) received a malformed sync: \(Self.excerpt(payload))")
                return
            }
            if added > lastAdded { lastAdded = added }
            if answersSynced { answer(added) }
        case .synced(let added):
            observer?.logux(self, synced: added)
        case .pong:
            observer?.loguxPong(self)
        case .other:
            observer?.logux(self, failed: "connection \(index) received \(Self.excerpt(payload))")
        }
    }

    /// One action of a server `sync`.
    @inline(__always)
    private func take(_ action: UnsafeRawBufferPointer, _ meta: UnsafeRawBufferPointer, now: UInt64) {
        switch LoguxWire.kind(of: action) {
        case .increment:
            guard let id = LoguxWire.foreignID(inMeta: meta), id.node.elementsEqual(watchedNode),
                id.sequence >= firstSequence, id.sequence < firstSequence + expectedCount
            else {
                unexpected += 1
                return
            }
            let bit = id.sequence - firstSequence
            let mask: UInt64 = 1 << UInt64(bit & 63)
            if seen[bit >> 6] & mask != 0 {
                duplicated += 1
                return
            }
            seen[bit >> 6] |= mask
            received += 1
            if id.sequence < highest { reordered += 1 } else { highest = id.sequence }
            observer?.logux(self, delivered: id.sequence, now: now)
        case .counterSet:
            break
        case .processed(let sequence, let creator):
            guard creator.elementsEqual(node.utf8) else {
                unexpected += 1
                return
            }
            processedCount += 1
            observer?.logux(self, processed: sequence, now: now)
        case .other:
            unexpected += 1
            observer?.logux(self, failed: "connection \(index) received the action \(Self.excerpt(action))")
        }
    }

    /// Answers a `sync` with `["synced", added]`, flushed once the loop is done with this read.
    private func answer(_ added: Int) {
        guard let ws else { return }
        ws.writeText(length: LoguxWire.syncedLength(added)) { out in LoguxWire.writeSynced(added, into: out) }
        syncedSent += 1
        guard !flushPending else { return }
        flushPending = true
        loop.execute { [self] in
            flushPending = false
            self.ws?.flush()
        }
    }

    /// Reports the close.
    func webSocketDidClose(_ client: WebSocketClient) {
        ws = nil
        observer?.loguxDidClose(self, client.closeInfo)
    }

    /// Up to 120 bytes of a frame, for error messages.
    static func excerpt(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes.prefix(120), as: UTF8.self) + (bytes.count > 120 ? "…" : "")
    }
}
