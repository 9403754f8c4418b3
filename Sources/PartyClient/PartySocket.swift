import Foundation
import Logging
import NIOSSL
import PartyTime
import Synchronization

/// A WebSocket to one room of a PartyServer (or PartyKit) that reconnects by itself, like the
/// JavaScript `partysocket`.
///
/// ```swift
/// let socket = try PartySocket(PartySocketOptions(host: "localhost:1999", room: "lobby", party: "chat"))
/// socket.send("hello")                    // queued until the connection opens
/// async let running: Void = socket.run()   // connects, reconnects, returns once closed
/// for await event in socket.events {       // ends once the socket is closed
///     if case .message(.text(let text)) = event { print(text) }
/// }
/// try await running
/// ```
///
/// ``run()`` drives the connection: it connects, and after a failure or a dropped connection it
/// waits (exponential backoff with jitter, see ``PartyBackoff``) and connects again, always with
/// the same ``id`` (the `_pk` query parameter), so the room sees the same connection id. It
/// returns once ``close()`` is called, its task is cancelled, or ``PartySocketOptions/maxRetries``
/// is exhausted. Everything that happens arrives in order on ``events``.
public final class PartySocket: Sendable {
    /// The options the socket was made with.
    public let options: PartySocketOptions
    /// The socket's URL builder (host, scheme, path and id).
    public let url: PartySocketURL
    /// What happens, in order: open, messages, errors, closes. It ends once the socket is closed.
    ///
    /// Read it from one task. Events are buffered until read, so keep reading while the socket runs.
    public let events: AsyncStream<PartySocketEvent>

    let continuation: AsyncStream<PartySocketEvent>.Continuation
    let logger: Logger
    let core = Mutex(PartySocketCore())
    private let tls = Mutex<NIOSSLContext?>(nil)

    /// Creates a socket; it connects once ``run()`` is called. Throws if an option is invalid
    /// (``PartySocketError/Code/invalidHost``, ``PartySocketError/Code/invalidOptions``,
    /// ``PartySocketError/Code/invalidHeader``).
    public init(_ options: PartySocketOptions, logger: Logger = Logger(label: "partysocket")) throws(PartySocketError) {
        self.url = try options.validate()
        self.options = options
        var logger = logger
        logger[metadataKey: "party"] = "\(url.party)"
        logger[metadataKey: "room"] = "\(url.room)"
        logger[metadataKey: "connection"] = "\(url.id)"
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: PartySocketEvent.self, bufferingPolicy: .unbounded)
    }

    /// Ends ``events`` for a socket that is released without having been closed.
    deinit {
        continuation.finish()
    }

    /// The connection id, sent as `_pk` on every connection.
    public var id: String { url.id }

    /// Where the socket is now.
    public var state: PartySocketState { core.withLock { $0.state } }

    /// The number of the current connection attempt since the last stable connection: 0 for the
    /// first, then 1, 2, … for retries.
    public var retryCount: Int { core.withLock { max($0.retryCount, 0) } }

    /// How many messages wait in the queue for the next connection.
    public var queuedMessageCount: Int { core.withLock { $0.queue.count } }

    /// Sends a text message now if the socket is open, else queues it (see ``PartySendResult``).
    @discardableResult
    public func send(_ text: String) -> PartySendResult {
        send(.text(text))
    }

    /// Sends a binary message now if the socket is open, else queues it (see ``PartySendResult``).
    @discardableResult
    public func send(_ data: Data) -> PartySendResult {
        send(.binary(data))
    }

    /// Sends `message` now if the socket is open, else queues it (see ``PartySendResult``).
    /// Messages go out in the order of the calls, queued ones before any sent after the open.
    @discardableResult
    public func send(_ message: PartySocketMessage) -> PartySendResult {
        let limit = options.maxEnqueuedMessages
        return core.withLock { $0.send(message, limit: limit) }
    }

    /// Drops the current connection (closing it with 1000 `reconnect`) or the wait for the next
    /// attempt, and connects again at once with the retry count reset. No effect once closed.
    public func reconnect() {
        let interrupt = core.withLock { core -> (@Sendable () -> Void)? in
            guard core.closeRequest == nil, core.state != .closed else { return nil }
            core.reconnectRequested = true
            if let connection = core.connection {
                core.detach(connection)
                connection.close(code: 1000, reason: "reconnect")
            }
            return core.interrupt
        }
        interrupt?()
    }

    /// Closes the socket with 1000 for good: it never reconnects, queued messages are dropped,
    /// and ``run()`` returns once the closing handshake is done.
    public func close() {
        closeNow(code: 1000, reason: "")
    }

    /// Closes the socket for good with `code` (1000, or 3000–4999 for your own meanings) and
    /// `reason` (at most 123 bytes of UTF-8); see ``close()``.
    public func close(code: Int, reason: String = "") throws(PartySocketError) {
        guard code == 1000 || (3000...4999).contains(code) else {
            throw .invalidClose("close code \(code) cannot be sent; use 1000 (normal) or an application code from 3000 to 4999")
        }
        guard reason.utf8.count <= 123 else {
            throw .invalidClose("the close reason is \(reason.utf8.count) bytes of UTF-8; a close frame holds at most 123")
        }
        closeNow(code: code, reason: reason)
    }

    private func closeNow(code: Int, reason: String) {
        let interrupt = core.withLock { core -> (@Sendable () -> Void)? in
            guard core.closeRequest == nil, core.state != .closed else { return nil }
            core.closeRequest = .init(code: code, reason: reason)
            core.queue.removeAll()
            if let connection = core.connection {
                core.connection = nil
                connection.close(code: code, reason: reason)
            } else if !core.inSession {
                core.owesCloseEvent = true
            }
            core.state = .closing
            if !core.started { finish(&core) }
            return core.interrupt
        }
        interrupt?()
    }

    /// Marks the socket closed, emits the close event owed to a `close()` made without a
    /// connection, and ends ``events``.
    func finish(_ core: inout PartySocketCore) {
        if core.owesCloseEvent, let request = core.closeRequest {
            core.owesCloseEvent = false
            continuation.yield(.close(code: request.code, reason: request.reason, wasClean: true))
        }
        core.state = .closed
        core.queue.removeAll()
        continuation.finish()
    }

    /// The TLS context for `wss`/`https`, made once; nil for `ws`/`http`.
    func tlsContext() throws -> NIOSSLContext? {
        guard url.scheme.isSecure else { return nil }
        let configuration = options.tlsConfiguration
        return try tls.withLock { cached in
            if let cached { return cached }
            let context = try NIOSSLContext(configuration: configuration)
            cached = context
            return context
        }
    }
}
