/// The endpoints of the control API under `/{prefix}`.
enum ControlRoute: Equatable {
    /// `GET /` — the inspector page.
    case inspector
    /// `POST /connect`.
    case connect
    /// `POST /match`.
    case match
    /// `GET /rooms?server=&status=&limit=`.
    case rooms
    /// `GET /events` — every room's status changes (Server-Sent Events).
    case events
    /// `GET /rooms/:server/:name/status[?wait=ready]`.
    case status(server: String, name: String)
    /// `GET /rooms/:server/:name/status/stream` (Server-Sent Events).
    case statusStream(server: String, name: String)
    /// `POST /rooms/:server/:name/terminate`.
    case terminate(server: String, name: String)
    /// Under the prefix, but no such endpoint.
    case unknown
    /// A room path with a malformed server or name.
    case invalid(String)

    /// Matches `path` (no query); nil when it is not under `/{prefix}`.
    static func match(path: String, prefix: String) -> ControlRoute? {
        var rest = Substring(path)
        guard rest.first == "/" else { return nil }
        rest = rest.dropFirst()
        guard rest.hasPrefix(prefix) else { return nil }
        rest = rest.dropFirst(prefix.count)
        if rest.isEmpty || rest == "/" { return .inspector }
        guard rest.first == "/" else { return nil }
        let segments = rest.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        switch segments.count {
        case 1 where segments[0] == "connect": return .connect
        case 1 where segments[0] == "match": return .match
        case 1 where segments[0] == "rooms": return .rooms
        case 1 where segments[0] == "events": return .events
        case 4, 5:
            guard segments[0] == "rooms" else { return .unknown }
            guard let server = RoomRoute.percentDecoded(segments[1]), !server.isEmpty else { return .invalid("server name is not valid") }
            let name: String
            switch RoomRoute.validateName(segments[2]) {
            case .success(let valid): name = valid
            case .failure(let error): return .invalid(error.message)
            }
            let lowered = server.lowercased()
            switch (segments[3], segments.count == 5 ? segments[4] : nil) {
            case ("status", nil): return .status(server: lowered, name: name)
            case ("status", "stream"?): return .statusStream(server: lowered, name: name)
            case ("terminate", nil): return .terminate(server: lowered, name: name)
            default: return .unknown
            }
        default:
            return .unknown
        }
    }
}
