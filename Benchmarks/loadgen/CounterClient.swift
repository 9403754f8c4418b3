import Histogram
import NIOCore

/// One room's view in the counter scenario: the count the next `inc` sent to the room should
/// produce. All clients of a room share it and run on the same event loop, so it needs no lock.
final class CounterLedger: @unchecked Sendable {
    /// Increments the room will receive over the whole run.
    let total: Int
    /// The next count to be assigned; nil until the room's current count is known.
    var next: Int?
    /// The count before the first `inc`.
    var base: Int?

    /// A ledger for a room that will receive `total` increments.
    init(total: Int) {
        self.total = total
    }

    /// The room's count once every increment is done.
    var final: Int? { base.map { $0 + total } }
}

/// Per-event-loop accounting of the counter scenario: only touched on `loop`, merged at the end.
final class CounterLoopState: @unchecked Sendable {
    let loop: any EventLoop
    var clients: [CounterClient] = []
    var histogram = makeLatencyHistogram()
    /// Measured acknowledgements.
    var acked = 0
    var warmupAcked = 0
    var firstSend: UInt64 = .max
    var lastAck: UInt64 = 0
    /// Counts received twice by the same connection.
    var duplicated = 0
    /// Counts received after a higher one (the room broadcast them out of order).
    var outOfOrder = 0
    /// Messages that were not `{"count":N}`.
    var unexpected = 0

    /// Empty accounting for `loop`.
    init(loop: any EventLoop) {
        self.loop = loop
    }
}

/// One connection of the counter scenario, closed loop: sends `inc`, waits for its count, sends
/// the next. Every `inc` of a room is assigned the next count of the room's ledger when it is
/// sent; the client's acknowledgement is the first broadcast `{"count":N}` with N at least that
/// value (exact with one client per room; with several, two `inc`s sent microseconds apart may
/// reach the room in the other order, which swaps their acknowledgements). Confined to its loop.
final class CounterClient: WebSocketSink, @unchecked Sendable {
    let index: Int
    let room: Int
    let ledger: CounterLedger
    let state: CounterLoopState
    unowned(unsafe) var run: CounterRun!
    private(set) var ws: WebSocketClient?

    /// The highest count received (nil until the initial count arrived).
    private(set) var seen: Int?
    /// Which of the run's counts (base + 1 ... base + total) arrived.
    private var received: [UInt64]
    private var receivedCount = 0
    private var expected: Int?
    private var sentAt: UInt64 = 0
    private var remaining = 0
    private var measuring = false
    private var phaseDone: CountdownSignal?

    var loop: any EventLoop { state.loop }

    /// Connection `index` of room `room`, sharing the room's `ledger` and its loop's `state`.
    init(index: Int, room: Int, ledger: CounterLedger, state: CounterLoopState) {
        self.index = index
        self.room = room
        self.ledger = ledger
        self.state = state
        self.received = [UInt64](repeating: 0, count: (ledger.total + 63) / 64)
    }

    /// Counts of the run this connection has not received (yet).
    var missing: Int { ledger.total - receivedCount }

    /// Takes the connection's messages (called on the loop, before any byte is read).
    func attach(_ client: WebSocketClient) {
        ws = client
        client.sink = self
    }

    /// Sends `incs` increments one after another; counts `done` down after the last is acknowledged.
    func startPhase(incs: Int, measured: Bool, done: CountdownSignal) {
        loop.preconditionInEventLoop()
        remaining = incs
        measuring = measured
        phaseDone = done
        sendNext()
    }

    /// Sends the next `inc` of the phase, or reports the phase done.
    private func sendNext() {
        guard remaining > 0 else {
            phaseDone?.countDown()
            phaseDone = nil
            return
        }
        guard let ws, ws.isOpen, let next = ledger.next else { return }
        remaining -= 1
        expected = next
        ledger.next = next + 1
        sentAt = monotonicNanoseconds()
        if measuring, sentAt < state.firstSend { state.firstSend = sentAt }
        ws.writeText(length: 3) { out in
            out[0] = UInt8(ascii: "i")
            out[1] = UInt8(ascii: "n")
            out[2] = UInt8(ascii: "c")
        }
        ws.flush()
    }

    /// Checks a count, records it, and takes it as this client's acknowledgement when it is high enough.
    func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, now: UInt64) {
        guard isText, let count = Self.parseCount(payload) else {
            state.unexpected += 1
            run.abort("connection \(index) (room \(room)) received \"\(String(decoding: payload.prefix(80), as: UTF8.self))\"")
            return
        }
        guard let previous = seen else {
            seen = count
            if ledger.next == nil {
                ledger.next = count + 1
                ledger.base = count
            }
            run.ready.countDown()
            return
        }
        guard let base = ledger.base, count > base, count <= base + ledger.total else {
            state.unexpected += 1
            run.abort("connection \(index) (room \(room)) received count \(count), outside the run's range")
            return
        }
        let bit = count - base - 1
        let mask: UInt64 = 1 << UInt64(bit & 63)
        if received[bit >> 6] & mask != 0 {
            state.duplicated += 1
            return
        }
        received[bit >> 6] |= mask
        receivedCount += 1
        if count < previous {
            state.outOfOrder += 1
        } else {
            seen = count
        }
        guard let waitingFor = expected, count >= waitingFor else { return }
        expected = nil
        if measuring {
            state.acked += 1
            state.histogram.record(now > sentAt ? now - sentAt : 0)
            if now > state.lastAck { state.lastAck = now }
        } else {
            state.warmupAcked += 1
        }
        sendNext()
    }

    /// A close the run did not start aborts it.
    func webSocketDidClose(_ client: WebSocketClient) {
        ws = nil
        guard !run.isFinishing, client.closeInfo.wasOpen else { return }
        let code = client.closeInfo.serverCode.map { " with code \($0)" } ?? " without a close frame"
        run.abort("connection \(index) (room \(room)) was closed by the server\(code) during the run")
    }

    /// Closes the connection with a normal closing handshake.
    func close() {
        ws?.close()
    }

    /// N from exactly `{"count":N}`.
    static func parseCount(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let prefix = #"{"count":"#.utf8
        guard bytes.count > prefix.count + 1, bytes.starts(with: prefix), bytes[bytes.count - 1] == UInt8(ascii: "}") else {
            return nil
        }
        var value = 0
        for byte in bytes[prefix.count..<(bytes.count - 1)] {
            guard (48...57).contains(byte) else { return nil }
            value = value &* 10 &+ Int(byte - 48)
        }
        return value
    }
}
