import CoreMetrics
import DequeModule
import Foundation
import Logging
import NIOCore
import Synchronization

/// One WebSocket connection to a room.
///
/// A connection belongs to the room, not to the room's actor: it keeps its id, tags, `uri` and
/// state while the actor comes and goes. Sending never blocks: messages go onto a bounded
/// outbound queue drained by the connection's own writer. A client that lets the queue overflow
/// is closed with 1008.
public final class Connection: Sendable {
    /// The connection id: the `_pk` query parameter if the client gave one, otherwise a UUID.
    public let id: String
    /// The request target of the upgrade request (path and query).
    public let uri: String
    /// The room this connection belongs to.
    public let room: Room
    /// The user attached by `onBeforeConnect` or an authenticator, if any.
    public let user: User?
    /// Logger with `room` and `connection` metadata.
    public let logger: Logger

    let limits: ConnectionLimits
    package let transport: any ConnectionTransport
    private let storage: Mutex<ConnectionStorage>

    package init(id: String, uri: String, room: Room, user: User?, limits: ConnectionLimits, transport: any ConnectionTransport) {
        self.id = id
        self.uri = uri
        self.room = room
        self.user = user
        self.limits = limits
        self.transport = transport
        var logger = room.logger
        logger[metadataKey: "connection"] = .string(id)
        self.logger = logger
        self.storage = Mutex(ConnectionStorage(tags: [id]))
    }

    // MARK: Status, tags, state

    /// Whether the connection is open, closing or closed.
    public var status: ConnectionStatus { storage.withLock { $0.lifecycle.status } }

    /// The connection's tags; the first is always its id.
    public var tags: [String] { storage.withLock { $0.tags } }

    /// Whether the connection carries `tag`.
    public func hasTag(_ tag: String) -> Bool {
        storage.withLock { $0.tags.contains(tag) }
    }

    /// Sets the tags after validating them (at most 10 with the id, each 1–256 characters).
    func setTags(_ extra: [String]) throws(PartyError) {
        var tags = [id]
        for tag in extra where tag != id && !tags.contains(tag) {
            tags.append(tag)
        }
        try ConnectionLimits.validate(tags: tags)
        storage.withLock { $0.tags = tags }
    }

    /// The connection's state decoded as `T`, or `nil` if none is set (or it is another type).
    public func state<T: Codable & Sendable>(as type: T.Type = T.self) -> T? {
        let (value, encoded) = storage.withLock { ($0.stateValue, $0.stateData) }
        if let value = value as? T { return value }
        guard let encoded else { return nil }
        return try? JSONDecoder().decode(T.self, from: encoded)
    }

    /// The connection's state as encoded JSON bytes, if any.
    public var encodedState: Data? { storage.withLock { $0.stateData } }

    /// Replaces the connection's state; it must encode to at most 16 KiB of JSON.
    public func setState<T: Codable & Sendable>(_ value: T?) throws(PartyError) {
        guard let value else {
            storage.withLock {
                $0.stateValue = nil
                $0.stateData = nil
            }
            return
        }
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            throw .stateEncoding("\(error)")
        }
        guard data.count <= limits.maxStateBytes else {
            throw .stateTooLarge(data.count, limit: limits.maxStateBytes)
        }
        storage.withLock {
            $0.stateValue = value
            $0.stateData = data
        }
    }

    /// Takes over the state and tags of `earlier`, a dropped connection of the same client.
    package func adopt(_ earlier: Connection) throws(PartyError) {
        let (value, data) = earlier.storage.withLock { ($0.stateValue, $0.stateData) }
        try setTags(Array(earlier.tags.dropFirst()))
        storage.withLock {
            $0.stateValue = value
            $0.stateData = data
        }
    }

    /// Updates the state from its previous value, like `setState(prev => next)`.
    public func setState<T: Codable & Sendable>(_ type: T.Type = T.self, _ update: (T?) -> T?) throws(PartyError) {
        try setState(update(state(as: T.self)))
    }

    // MARK: Sending

    /// Queues a text message. Returns at once; dropped if the connection is closing or closed.
    public func send(text: String) {
        enqueue(OutboundFrame(kind: .text, data: ByteBuffer(string: text)))
    }

    /// Queues a binary message. Returns at once; dropped if the connection is closing or closed.
    public func send(binary: ByteBuffer) {
        enqueue(OutboundFrame(kind: .binary, data: binary))
    }

    /// Queues a binary message from bytes.
    public func send(binary bytes: some Sequence<UInt8>) {
        enqueue(OutboundFrame(kind: .binary, data: ByteBuffer(bytes: bytes)))
    }

    /// Queues `value` encoded as JSON text (keys sorted); throws when it does not encode.
    public func send<T: Encodable>(json value: T) throws(PartyError) {
        enqueue(OutboundFrame(kind: .text, data: try Message.json(value).buffer))
    }

    /// Queues a message as is (text stays text, binary stays binary).
    public func send(_ message: Message) {
        enqueue(OutboundFrame(kind: message.frameKind, data: message.buffer))
    }

    /// Starts the closing handshake with `code` and `reason` (after any output the room's pending
    /// writes hold); later sends are dropped.
    public func close(code: Int = CloseCode.normal, reason: String = "") {
        room.gate.close(self, code: code, reason: reason)
    }

    /// Starts the closing handshake now.
    package func startClosing(code: Int, reason: String) {
        let started = storage.withLock { storage -> (Bool, CheckedContinuation<Void, Never>?) in
            guard storage.lifecycle.startClosing() else { return (false, nil) }
            storage.queue.append(.close(code: code, reason: reason))
            return (true, storage.takeWaiter())
        }
        started.1?.resume()
        if started.0 { transport.connectionDidStartClosing(urgent: nil) }
    }

    /// Queues a frame through the room's output gate.
    func enqueue(_ frame: OutboundFrame) {
        room.gate.send(frame, to: self)
        room.messagesOut.increment()
    }

    /// Queues a frame now; closes the connection with 1008 if its queue overflows.
    func push(_ frame: OutboundFrame) {
        let size = frame.data.readableBytes
        let limits = self.limits
        let result = storage.withLock { $0.push(frame, size: size, limits: limits) }
        switch result {
        case .queued(let waiter):
            waiter?.resume()
        case .dropped:
            break
        case .overflow(let waiter):
            waiter?.resume()
            logger.warning(
                "outbound queue overflowed; closing slow client with 1008",
                metadata: ["limit.messages": "\(limits.maxQueuedMessages)", "limit.bytes": "\(limits.maxQueuedBytes)"]
            )
            transport.connectionDidStartClosing(urgent: .close(code: CloseCode.policyViolation, reason: "client too slow: outbound queue full"))
        }
    }

    /// Queues a control frame (pong, or the close frame answering the client's close); ignores limits.
    package func enqueueControl(_ frame: OutboundFrame, finishing: Bool) {
        let waiter = storage.withLock { storage -> CheckedContinuation<Void, Never>? in
            guard storage.lifecycle.queueControl(finishing: finishing) else { return nil }
            storage.queue.append(frame)
            return storage.takeWaiter()
        }
        waiter?.resume()
    }

    /// Removes and returns the queued messages (control frames are skipped), without waiting.
    package func drainQueuedMessages() -> [Message] {
        let frames = storage.withLock { storage -> [OutboundFrame] in
            storage.lifecycle.drained()
            return storage.queue.removeAllFrames()
        }
        return frames.compactMap { frame in
            switch frame.kind {
            case .text: Message(kind: .text, buffer: frame.data)
            case .binary: Message(kind: .binary, buffer: frame.data)
            case .ping, .pong, .close: nil
            }
        }
    }

    /// Discards the queued frames, as a writer that sent them would; returns how many there were.
    package func discardQueued() -> Int {
        storage.withLock { storage in
            let count = storage.queue.count
            storage.queue.removeAll()
            storage.lifecycle.drained()
            return count
        }
    }

    /// Moves every queued frame into `batch`; waits while the queue is empty.
    /// Returns `false` once the writer should stop (the close frame, if any, has been handed over).
    package func takeOutbound(_ batch: inout Deque<OutboundFrame>) async -> Bool {
        while true {
            let ready = storage.withLock { storage -> Bool? in
                if !storage.queue.isEmpty {
                    storage.queue.moveAll(into: &batch)
                    storage.lifecycle.drained()
                    return true
                }
                return storage.lifecycle.writerFinished ? false : nil
            }
            if let ready { return ready }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = storage.withLock { storage -> Bool in
                    if !storage.queue.isEmpty || storage.lifecycle.writerFinished { return true }
                    storage.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Marks the connection closed and releases its writer.
    package func markClosed() {
        let waiter = storage.withLock { storage -> CheckedContinuation<Void, Never>? in
            storage.lifecycle.close()
            storage.queue.removeAll()
            return storage.takeWaiter()
        }
        waiter?.resume()
    }

    /// Drops the connection at once (a hard termination): nothing more is sent, the transport is
    /// closed without a closing handshake, and `onClose` does not run.
    package func drop() {
        let waiter = storage.withLock { storage -> CheckedContinuation<Void, Never>? in
            storage.lifecycle.drop()
            storage.queue.removeAll()
            return storage.takeWaiter()
        }
        waiter?.resume()
        transport.abort()
    }

    /// Whether a hard termination dropped the connection.
    package var isDropped: Bool { storage.withLock { $0.lifecycle.dropped } }

    /// Lets the writer stop once the queue (for example a final close frame) is drained.
    package func finishWriting() {
        let waiter = storage.withLock { storage -> CheckedContinuation<Void, Never>? in
            storage.lifecycle.finishWriting()
            return storage.takeWaiter()
        }
        waiter?.resume()
    }
}
