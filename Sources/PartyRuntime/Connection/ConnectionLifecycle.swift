/// The life of one connection as a value: open, closing (a close frame was sent or received, or
/// the outbound queue overflowed), closed, or dropped by a hard termination; whether its writer
/// may still take frames; and how many bytes wait in its queue.
///
/// Each method takes one event and says what to do; `Connection` keeps it behind its lock with
/// the queue, and carries out the answer (queue the frame, wake the writer, tell the transport).
/// Tested without I/O in `ConnectionLifecycleTests`.
struct ConnectionLifecycle: Sendable, Equatable {
    /// Open, closing or closed.
    private(set) var status: ConnectionStatus = .open
    /// No frame is queued any more: the writer stops once the queue is empty.
    private(set) var writerFinished = false
    /// A hard termination dropped the connection: `onClose` does not run.
    private(set) var dropped = false
    /// Bytes of the messages in the queue.
    private(set) var queuedBytes = 0

    /// What to do with a message offered to the queue.
    enum Push: Equatable {
        /// Queue it and wake the writer.
        case queue
        /// Drop it: the connection is closing or closed.
        case drop
        /// The queue is full: empty it, wake the writer and put a 1008 close on the wire ahead
        /// of everything (the client stopped reading).
        case overflow
    }

    /// A message of `size` bytes is offered to a queue holding `queued` frames.
    ///
    /// The limits bound the backlog, not one message: the message overflows the queue only when
    /// the frames or bytes already waiting reach their limit, so a single message larger than
    /// `maxQueuedBytes` goes into a queue holding less (an empty one, say), and the queue never
    /// holds more than `maxQueuedBytes` plus one message.
    mutating func push(size: Int, queued: Int, limits: ConnectionLimits) -> Push {
        guard status == .open else { return .drop }
        if queued >= limits.maxQueuedMessages || queuedBytes >= limits.maxQueuedBytes {
            status = .closing
            queuedBytes = 0
            writerFinished = true
            return .overflow
        }
        queuedBytes += size
        return .queue
    }

    /// The room closes the connection: true when it was open, so the close frame is queued as the
    /// last frame, the writer woken and the transport told (which bounds the handshake).
    mutating func startClosing() -> Bool {
        guard status == .open else { return false }
        status = .closing
        writerFinished = true
        return true
    }

    /// A control frame (a pong, or the close frame answering the peer's close, `finishing`) is
    /// offered: true when it is queued (ignoring the limits); the peer's close makes the
    /// connection closing.
    mutating func queueControl(finishing: Bool) -> Bool {
        guard !writerFinished else { return false }
        if finishing {
            writerFinished = true
            status = .closing
        }
        return true
    }

    /// The reading side is done (the handshake completed or the peer vanished): the writer stops
    /// once the queue (a final close frame, say) is drained.
    mutating func finishWriting() {
        if status == .open { status = .closing }
        writerFinished = true
    }

    /// The writer took every queued frame.
    mutating func drained() {
        queuedBytes = 0
    }

    /// The connection is gone: empty the queue and wake the writer.
    mutating func close() {
        status = .closed
        writerFinished = true
        queuedBytes = 0
    }

    /// A hard termination drops the connection: empty the queue, wake the writer, abort the transport.
    mutating func drop() {
        close()
        dropped = true
    }
}
