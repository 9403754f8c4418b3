import Testing

/// Malformed handshakes, frames and names thrown at a live server over raw TCP. Each bad input
/// gets its defined answer (an HTTP status, or a close code and then the end of the TCP
/// connection), the server logs exactly one line for it, and a witness in another room receives
/// every message of its stream meanwhile. Cases are in `BadInputTests+*.swift`.
@Suite("Bad input")
struct BadInputTests {
    /// A unique marker for one case, put in the request target (`_pk` or a query parameter) so
    /// the log lines about that case can be found.
    static func marker(_ name: String) -> String {
        "case-\(name)-\(UInt32.random(in: 0...UInt32.max))"
    }
}
