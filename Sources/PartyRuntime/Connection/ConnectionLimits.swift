/// Limits applied to every connection.
public struct ConnectionLimits: Sendable {
    /// Bytes of queued outbound messages at which a client counts as slow: a message sent while
    /// its queue already holds this many bytes closes it with 1008. One message larger than the
    /// limit is queued when less is waiting, so the queue holds at most the limit plus one
    /// message. Default 1 MiB.
    public var maxQueuedBytes: Int
    /// Queued outbound messages at which a client counts as slow: a message sent while this many
    /// wait closes it with 1008. Default 1,024.
    public var maxQueuedMessages: Int
    /// Largest encoded per-connection state. Default 16 KiB.
    public var maxStateBytes: Int

    /// Creates limits; every argument has its documented default.
    public init(maxQueuedBytes: Int = 1 << 20, maxQueuedMessages: Int = 1024, maxStateBytes: Int = 16 * 1024) {
        self.maxQueuedBytes = maxQueuedBytes
        self.maxQueuedMessages = maxQueuedMessages
        self.maxStateBytes = maxStateBytes
    }

    /// Maximum number of tags, the connection id included.
    public static let maxTags = 10
    /// Maximum length of one tag, in characters.
    public static let maxTagLength = 256

    /// Checks the tag rules: at most 10 tags, each 1–256 characters.
    static func validate(tags: [String]) throws(PartyError) {
        guard tags.count <= maxTags else { throw .tooManyTags(tags.count) }
        for tag in tags where tag.isEmpty || tag.count > maxTagLength {
            throw .invalidTag(tag)
        }
    }
}
