import Foundation
import PartyServer

/// A presence room: every connection is a cursor with a name, a color and an optional team.
///
/// WebSocket `/parties/cursors/ROOM?name=Ada&team=red`:
/// - on connect the client receives `{"cursors":{...}}` with every other cursor, and the others
///   receive `{"id":ID,"joined":{...}}`;
/// - the client sends `{"x":..,"y":..}`; the others receive `{"id":ID,"x":..,"y":..}`;
/// - the text message `team:NAME` is answered with the cursors of team NAME (`team:` for all);
/// - on close the others receive `{"id":ID,"left":true}`.
///
/// HTTP `GET /parties/cursors/ROOM[?team=NAME]` returns the same `{"cursors":{...}}` snapshot.
actor Cursors: Server {
    /// The room this instance serves.
    let room: Room
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()

    /// Longest accepted team or display name.
    static let maxNameLength = 64

    /// Creates the presence room for `room`.
    init(room: Room) {
        self.room = room
        encoder.outputFormatting = .sortedKeys
    }

    /// Refuses upgrades whose `team` or `name` is too long, before the room wakes.
    static func onBeforeConnect(_ request: Request, lobby: Lobby) async throws -> Request {
        for parameter in ["team", "name"] {
            if let value = request.queryValue(parameter), value.isEmpty || value.count > maxNameLength {
                throw Rejection(.badRequest, "\(parameter) must be 1 to \(maxNameLength) characters")
            }
        }
        return request
    }

    /// Tags the connection with its team, so `room.connections(tagged:)` can find a team.
    func getConnectionTags(_ connection: Connection, _ context: ConnectionContext) async throws -> [String] {
        context.request.queryValue("team").map { [Self.tag(team: $0)] } ?? []
    }

    /// Gives the connection its cursor, sends it the others' cursors and announces it to them.
    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        let cursor = CursorState(
            name: context.request.queryValue("name") ?? "guest",
            color: CursorState.color(for: connection.id),
            team: context.request.queryValue("team")
        )
        try connection.setState(cursor)
        let others = room.connections().filter { $0 !== connection }
        connection.send(text: try encode(snapshot(of: others)))
        room.broadcast(text: try encode(CursorState.Event(id: connection.id, joined: cursor)), excluding: [connection.id])
    }

    /// Handles a move (`{"x":..,"y":..}`) or a `team:NAME` query.
    func onMessage(_ connection: Connection, _ message: Message) async throws {
        guard let text = message.text else {
            connection.send(text: #"{"error":"binary messages are not supported"}"#)
            return
        }
        if text.hasPrefix("team:") {
            let team = String(text.dropFirst("team:".count))
            connection.send(text: try encode(snapshot(of: connections(team: team.isEmpty ? nil : team))))
            return
        }
        guard let move = try? decoder.decode(CursorState.Move.self, from: Data(text.utf8)) else {
            connection.send(text: #"{"error":"send {\"x\":NUMBER,\"y\":NUMBER} or team:NAME"}"#)
            return
        }
        try connection.setState(CursorState.self) { cursor in
            var cursor = cursor ?? CursorState(name: "guest", color: CursorState.color(for: connection.id))
            cursor.x = move.x
            cursor.y = move.y
            return cursor
        }
        room.broadcast(text: try encode(CursorState.Event(id: connection.id, x: move.x, y: move.y)), excluding: [connection.id])
    }

    /// Tells the others the connection left.
    func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws {
        room.broadcast(text: try encode(CursorState.Event(id: connection.id, left: true)))
    }

    /// `GET` returns the cursors of the room, or of `?team=NAME`.
    func onRequest(_ request: Request) async throws -> Response {
        guard request.path.isEmpty || request.path == "/" else { return .notFound }
        guard request.method == .get || request.method == .head else {
            return .error(.methodNotAllowed, "use GET to list the cursors")
        }
        return .json(snapshot(of: connections(team: request.queryValue("team"))))
    }

    /// The open connections of `team`, or all of them.
    private func connections(team: String?) -> [Connection] {
        room.connections(tagged: team.map(Self.tag(team:)))
    }

    /// The cursors of `connections` that have one.
    private func snapshot(of connections: [Connection]) -> CursorState.Snapshot {
        var cursors: [String: CursorState] = [:]
        for connection in connections {
            if let cursor = connection.state(as: CursorState.self) {
                cursors[connection.id] = cursor
            }
        }
        return CursorState.Snapshot(cursors: cursors)
    }

    /// The connection tag of a team (prefixed so it cannot collide with a connection id).
    private static func tag(team: String) -> String {
        "team:\(team)"
    }

    /// `value` as compact JSON text with sorted keys.
    private func encode(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
