/// Why the liveness sweeper closed a WebSocket; delivered to the connection's read loop, which
/// reports it to `onClose` as the reason of a 1006 close.
struct KeepAliveTimeout: Error, CustomStringConvertible, Sendable {
    /// What the peer failed to do.
    enum Kind: Sendable {
        /// No frame arrived within `pongTimeout` of a ping.
        case noPong(Duration)
        /// No frame arrived for `idleTimeout`.
        case idle(Duration)
    }

    let kind: Kind

    var description: String {
        switch kind {
        case .noPong(let timeout): "no answer to a ping within \(Self.seconds(timeout))"
        case .idle(let timeout): "no frame for \(Self.seconds(timeout))"
        }
    }

    /// `duration` as seconds for a log line or close reason (`10 s`, `0.5 s`).
    static func seconds(_ duration: Duration) -> String {
        let value = duration.timeInterval
        return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
