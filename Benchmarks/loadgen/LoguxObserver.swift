/// What a `LoguxClient` tells the scenario that drives it; always called on the client's loop.
protocol LoguxObserver: AnyObject {
    /// `connected` arrived.
    func loguxConnected(_ client: LoguxClient, now: UInt64)
    /// A `counter/increment` of the watched sender, in the expected range, arrived for the first time.
    func logux(_ client: LoguxClient, delivered sequence: Int, now: UInt64)
    /// `logux/processed` for one of this client's own actions arrived.
    func logux(_ client: LoguxClient, processed sequence: Int, now: UInt64)
    /// `["synced", added]` arrived (the server has this client's actions up to `added`).
    func logux(_ client: LoguxClient, synced added: Int)
    /// `["pong", …]` arrived.
    func loguxPong(_ client: LoguxClient)
    /// Something the scenario cannot go on with arrived (an error, an undo, a malformed frame).
    func logux(_ client: LoguxClient, failed reason: String)
    /// The connection closed.
    func loguxDidClose(_ client: LoguxClient, _ info: WebSocketCloseInfo)
}
