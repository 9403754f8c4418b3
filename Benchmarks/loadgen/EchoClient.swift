import NIOCore

/// One connection that sends a text message and waits for one reply at a time, timing each round
/// trip on its event loop (send time taken just before the write, receive time when the bytes
/// were read). Confined to `loop`.
final class EchoClient: WebSocketSink, @unchecked Sendable {
    /// The connection's event loop.
    let loop: any EventLoop
    /// The connection, once attached.
    private(set) var ws: WebSocketClient?
    private var pending: Pending?
    /// Messages that arrived with no request waiting, or with the wrong text.
    private(set) var unexpected = 0
    /// The connection closed.
    private(set) var isClosed = false

    /// The request waiting for its reply.
    private struct Pending {
        var expected: [UInt8]
        var sentAt: UInt64
        var promise: EventLoopPromise<UInt64>
        var timer: Scheduled<Void>
    }

    /// Why a request failed.
    enum Failure: Error, CustomStringConvertible {
        case notOpen, busy, closed, timeout
        case wrongReply(expected: String, got: String)

        var description: String {
            switch self {
            case .notOpen: return "connection not open"
            case .busy: return "a request is already waiting"
            case .closed: return "connection closed while waiting for a reply"
            case .timeout: return "no reply in time"
            case .wrongReply(let expected, let got): return "expected reply \"\(expected)\", got \"\(got)\""
            }
        }
    }

    /// A client whose connection will run on `loop`.
    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// Takes the connection's messages (called on the loop, before any byte is read).
    func attach(_ client: WebSocketClient) {
        ws = client
        client.sink = self
    }

    /// Sends `text` and completes with the round-trip time in nanoseconds once exactly `reply`
    /// arrives; fails on another reply, a close, or after `timeout`. Call on the loop.
    func request(_ text: String, reply: String, timeout: TimeAmount) -> EventLoopFuture<UInt64> {
        loop.preconditionInEventLoop()
        guard let ws, ws.isOpen else { return loop.makeFailedFuture(Failure.notOpen) }
        guard pending == nil else { return loop.makeFailedFuture(Failure.busy) }
        let promise = loop.makePromise(of: UInt64.self)
        let timer = loop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            pending = nil
            promise.fail(Failure.timeout)
        }
        let bytes = Array(text.utf8)
        let sentAt = monotonicNanoseconds()
        pending = Pending(expected: Array(reply.utf8), sentAt: sentAt, promise: promise, timer: timer)
        ws.writeText(length: bytes.count) { out in out.copyBytes(from: bytes) }
        ws.flush()
        return promise.futureResult
    }

    /// Closes the connection with a normal closing handshake.
    func close() {
        ws?.close()
    }

    /// Completes the waiting request with this reply.
    func webSocket(_ client: WebSocketClient, didReceive payload: UnsafeRawBufferPointer, isText: Bool, now: UInt64) {
        guard let waiting = pending else {
            unexpected += 1
            return
        }
        pending = nil
        waiting.timer.cancel()
        if isText, payload.elementsEqual(waiting.expected) {
            waiting.promise.succeed(now > waiting.sentAt ? now - waiting.sentAt : 0)
        } else {
            unexpected += 1
            let got = String(decoding: payload.prefix(80), as: UTF8.self)
            waiting.promise.fail(Failure.wrongReply(expected: String(decoding: waiting.expected, as: UTF8.self), got: got))
        }
    }

    /// Fails the waiting request, if any.
    func webSocketDidClose(_ client: WebSocketClient) {
        isClosed = true
        ws = nil
        if let waiting = pending {
            pending = nil
            waiting.timer.cancel()
            waiting.promise.fail(Failure.closed)
        }
    }
}
