/// Reads the payloads one connection sends, putting split messages back together
/// (`createPayloadDecoder` in src/synchronizers/common.ts).
///
/// A payload is first read as a whole message; only if that fails is it read as a fragment.
/// Fragments are kept by client id line and message id until all `total` have come, then
/// joined in index order and read as one message. Anything malformed throws
/// `TinyBaseProtocolError` (close with 1007); a limit exceeded throws `.overflow` (close with
/// 1013). Once it has thrown, the buffer refuses everything after.
public struct TinyBaseReassemblyBuffer: Sendable {
    /// The limits, TinyBase's by default.
    public struct Limits: Sendable, Equatable {
        /// The largest payload, in UTF-8 bytes (16 MiB).
        public var maxPayloadBytes = 16_777_216
        /// The most fragments one message may have (1000).
        public var maxFragmentsPerMessage = 1000
        /// The most split messages in progress at once (100).
        public var maxMessagesInProgress = 100
        /// The most bytes kept for messages in progress (16 MiB).
        public var maxBufferedBytes = 16_777_216
        /// How long a split message may take to arrive whole before it is dropped (1 s, the
        /// request timeout).
        public var timeoutMilliseconds: Int64 = 1000

        /// TinyBase's limits.
        public init() {}
    }

    /// A whole message read from one or more payloads.
    public struct Decoded: Sendable, Equatable {
        /// The client id line (from a client: the recipient; from the server: the sender).
        public var clientId: String
        /// The message.
        public var message: TinyBaseMessage
        /// The remainders as received (one, or each fragment's), for passing on unchanged as the
        /// TinyBase server does.
        public var remainders: [String]
    }

    private struct Pending: Sendable {
        var fragments: [Int: String] = [:]
        var remainders: [Int: String] = [:]
        var total: Int
        var bytes = 0
        var startedAt: Int64
    }

    /// The limits in force.
    public let limits: Limits
    private var pending: [String: Pending] = [:]
    private var failed = false

    /// A buffer with `limits`.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// The split messages waiting for more fragments.
    public var messagesInProgress: Int { pending.count }

    /// The bytes kept for split messages in progress.
    public var bufferedBytes: Int { pending.values.reduce(0) { $0 + $1.bytes } }

    /// Reads one payload received at `now` (milliseconds): the message if it completes one,
    /// `nil` if it is a fragment of a message still incomplete.
    public mutating func decode(_ payload: String, now: Int64) throws(TinyBaseProtocolError) -> Decoded? {
        guard !failed else { throw .invalidMessage("the connection already sent something invalid") }
        do {
            return try read(payload, now: now)
        } catch {
            failed = true
            pending.removeAll()
            throw error
        }
    }

    /// Drops split messages that did not arrive whole within the timeout.
    public mutating func expire(now: Int64) {
        pending = pending.filter { now - $0.value.startedAt < limits.timeoutMilliseconds }
    }

    private mutating func read(_ payload: String, now: Int64) throws(TinyBaseProtocolError) -> Decoded? {
        expire(now: now)
        guard payload.utf8.count <= limits.maxPayloadBytes else { throw .overflow("payload of \(payload.utf8.count) bytes") }
        let (clientId, remainder) = try TinyBaseFrame.split(payload)
        let wholeError: TinyBaseProtocolError
        do {
            return Decoded(clientId: clientId, message: try TinyBaseMessage.parse(remainder), remainders: [remainder])
        } catch {
            wholeError = error
        }
        guard let fragment = TinyBaseFrame.Fragment(remainder: remainder) else { throw wholeError }
        guard fragment.total <= limits.maxFragmentsPerMessage else {
            throw .overflow("a message split into \(fragment.total) fragments")
        }
        guard fragment.total > 0, fragment.index < fragment.total else {
            throw .invalidFragment("index \(fragment.index) of \(fragment.total)")
        }
        let key = clientId + "\n" + fragment.messageId
        let entry = pending[key]
        if entry == nil, pending.count >= limits.maxMessagesInProgress {
            throw .overflow("more than \(limits.maxMessagesInProgress) split messages in progress")
        }
        if let entry, entry.total != fragment.total || entry.fragments[fragment.index] != nil {
            throw .invalidFragment("fragment \(fragment.index) of \(fragment.messageId) repeated or with another total")
        }
        let retained = remainder.utf8.count + (entry == nil ? key.utf8.count : 0)
        guard bufferedBytes + retained <= limits.maxBufferedBytes else {
            throw .overflow("more than \(limits.maxBufferedBytes) bytes of split messages buffered")
        }
        var current = entry ?? Pending(total: fragment.total, startedAt: now)
        current.fragments[fragment.index] = fragment.chunk
        current.remainders[fragment.index] = remainder
        current.bytes += retained
        guard current.fragments.count == current.total else {
            pending[key] = current
            return nil
        }
        pending[key] = nil
        let text = (0..<current.total).map { current.fragments[$0]! }.joined()
        let message = try TinyBaseMessage.parse(text)
        return Decoded(clientId: clientId, message: message, remainders: (0..<current.total).map { current.remainders[$0]! })
    }
}
