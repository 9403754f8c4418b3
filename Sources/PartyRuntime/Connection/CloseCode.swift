/// WebSocket close codes used by the runtime (RFC 6455 §7.4).
public enum CloseCode {
    /// 1000: normal closure.
    public static let normal = 1000
    /// 1001: the server is going away (shutdown).
    public static let goingAway = 1001
    /// 1002: protocol error.
    public static let protocolError = 1002
    /// 1003: unsupported data.
    public static let unsupportedData = 1003
    /// 1005: no status code was present in the close frame (never sent on the wire).
    public static let noStatus = 1005
    /// 1006: the connection dropped without a close frame (never sent on the wire).
    public static let abnormal = 1006
    /// 1007: a text message was not valid UTF-8.
    public static let invalidPayload = 1007
    /// 1008: policy violation (for example a client that does not read its messages).
    public static let policyViolation = 1008
    /// 1009: the message was larger than the maximum message size.
    public static let messageTooBig = 1009
    /// 1011: a hook threw, or the room failed to start.
    public static let internalError = 1011
    /// 1013: try again later (a limit kept the room from starting for a new connection).
    public static let tryAgainLater = 1013
    /// The room moved to another node, or this node is leaving a cluster: reconnect.
    public static let serviceRestart = 1012

    /// Whether `code` may appear in a close frame sent by a peer.
    public static func isValidOnWire(_ code: Int) -> Bool {
        switch code {
        case 1000...1003, 1007...1014: true
        case 3000...4999: true
        default: false
        }
    }

    /// `reason` cut at a character boundary so the close payload fits in 125 bytes.
    static func truncatedReason(_ reason: String) -> String {
        guard reason.utf8.count > 123 else { return reason }
        var result = ""
        var size = 0
        for character in reason {
            let length = character.utf8.count
            if size + length > 123 { break }
            result.append(character)
            size += length
        }
        return result
    }
}
