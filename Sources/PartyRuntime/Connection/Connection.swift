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
/// outbound queue that the connection's transport drains when told there is output. A client
/// that lets the queue overflow is closed with 1008.
public final class Connection: Sendable {
    /// The connection id: the `_pk` query parameter if the client gave one, otherwise a UUID.
    public let id: String
    /// The request target of the upgrade request (path and query).
    public let uri: String
    /// The room this connection belongs to.
    public let room: Room
    /// The user attached by `onBeforeConnect` or an authenticator, if any.
    public var user: User? { userBox.wrappedValue }
    /// The user, out of line: most connections have none.
    private let userBox: OutOfLine<User>
    /// Logger with `room` and `connection` metadata (made when asked for: a connection that logs
    /// nothing keeps no metadata of its own).
    public var logger: Logger {
        var logger = room.logger
        logger[metadataKey: "connection"] = .string(id)
        return logger
    }

    let limits: ConnectionLimits
    package let transport: any ConnectionTransport
    private let storage: Mutex<ConnectionStorage>

    package init(id: String, uri: String, room: Room, user: User?, limits: ConnectionLimits, transport: any ConnectionTransport) {
        self.id = id
        self.uri = uri
        self.room = room
        self.userBox = OutOfLine(wrappedValue: user)
        self.limits = limits
        self.transport = transport
        self.storage = Mutex(ConnectionStorage())
    }

    // MARK: Status, tags, state

    /// Whether the connection is open, closing or closed.
    public var status: ConnectionStatus { storage.withLock { $0.lifecycle.status } }

    /// The connection's tags; the first is always its id.
    public var tags: [String] { [id] + storage.withLock { $0.extraTags } }

    /// Whether the connection carries `tag`.
    public func hasTag(_ tag: String) -> Bool {
        tag == id || storage.withLock { $0.extraTags.contains(tag) }
    }

    /// Sets the tags after validating them (at most 10 with the id, each 1–256 characters).
    func setTags(_ extra: [String]) throws(PartyError) {
        guard !extra.isEmpty else {
            storage.withLock { $0.extraTags = [] }
            return
        }
        var tags = [id]
        for tag in extra where tag != id && !tags.contains(tag) {
            tags.append(tag)
        }
        try ConnectionLimits.validate(tags: tags)
        let extra = Array(tags.dropFirst())
        storage.withLock { $0.extraTags = extra }
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
        let (started, notify) = storage.withLock { storage -> (Bool, Bool) in
            guard storage.lifecycle.startClosing() else { return (false, false) }
            storage.queue.append(.close(code: code, reason: reason))
            return (true, storage.notifyWriter())
        }
        if notify { transport.outputReady() }
        if started { transport.connectionDidStartClosing(urgent: nil) }
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
        case .queued(let notify):
            if notify { transport.outputReady() }
        case .dropped:
            break
        case .overflow(let notify):
            if notify { transport.outputReady() }
            logger.warning(
                "outbound queue overflowed; closing slow client with 1008",
                metadata: ["limit.messages": "\(limits.maxQueuedMessages)", "limit.bytes": "\(limits.maxQueuedBytes)"]
            )
            transport.connectionDidStartClosing(urgent: .close(code: CloseCode.policyViolation, reason: "client too slow: outbound queue full"))
        }
    }

    /// Queues a control frame (pong, or the close frame answering the client's close); ignores limits.
    package func enqueueControl(_ frame: OutboundFrame, finishing: Bool) {
        updateNotifyingWriter { storage in
            guard storage.lifecycle.queueControl(finishing: finishing) else { return false }
            storage.queue.append(frame)
            return storage.notifyWriter()
        }
    }

    /// Removes and returns the queued messages (control frames are skipped), without waiting.
    package func drainQueuedMessages() -> [Message] {
        let frames = storage.withLock { storage -> [OutboundFrame] in
            storage.lifecycle.drained()
            storage.writerNotified = false
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
            storage.writerNotified = false
            return count
        }
    }

    /// Takes every queued frame with its storage and hands them to `write` (outside the lock);
    /// returns whether the writer is done after them. Until it is called, later frames send the
    /// transport no new `outputReady()`.
    package func takeOutbound(_ write: (inout FrameBatch) -> Void) -> Bool {
        var finished = false
        var frames = storage.withLock { storage -> FrameBatch in
            storage.writerNotified = false
            let frames = storage.queue.takeAll()
            if frames.count > 0 { storage.lifecycle.drained() }
            finished = storage.lifecycle.writerFinished
            return frames
        }
        if frames.count > 0 { write(&frames) }
        return finished
    }

    /// Frames the queue's storage holds room for (0 when it holds none, as after a drain).
    package var queueStorageCapacity: Int { storage.withLock { $0.queue.storageCapacity } }

    /// Marks the connection closed and lets its writer finish.
    package func markClosed() {
        updateNotifyingWriter { storage in
            storage.lifecycle.close()
            storage.queue.removeAll()
            return storage.notifyWriter()
        }
    }

    /// Drops the connection at once (a hard termination): nothing more is sent, the transport is
    /// closed without a closing handshake, and `onClose` does not run.
    package func drop() {
        updateNotifyingWriter { storage in
            storage.lifecycle.drop()
            storage.queue.removeAll()
            return storage.notifyWriter()
        }
        transport.abort()
    }

    /// Whether a hard termination dropped the connection.
    package var isDropped: Bool { storage.withLock { $0.lifecycle.dropped } }

    /// Lets the writer stop once the queue (for example a final close frame) is drained.
    package func finishWriting() {
        updateNotifyingWriter { storage in
            storage.lifecycle.finishWriting()
            return storage.notifyWriter()
        }
    }

    /// Changes the storage under the lock; tells the transport there is output when `change`
    /// returns true (after the lock is released).
    private func updateNotifyingWriter(_ change: (inout ConnectionStorage) -> Bool) {
        if storage.withLock({ change(&$0) }) { transport.outputReady() }
    }
}
