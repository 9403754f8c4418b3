/// One connection's cursor, kept as the connection's state: who it is and where it points.
struct CursorState: Codable, Sendable, Equatable {
    /// Display name, from the `name` query parameter of the upgrade request.
    var name: String
    /// Display color, derived from the connection id.
    var color: String
    /// Team, from the `team` query parameter, if any.
    var team: String?
    /// Last position sent by the client; `nil` until it first moves.
    var x: Double?
    /// Last position sent by the client; `nil` until it first moves.
    var y: Double?

    /// The colors handed out to cursors.
    static let palette = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"]

    /// A color from the palette, the same for the same connection id.
    static func color(for id: String) -> String {
        let hash = id.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
        return palette[Int(hash % UInt32(palette.count))]
    }
}

extension CursorState {
    /// What a client sends: `{"x":12.5,"y":40}`.
    struct Move: Decodable, Sendable {
        /// Horizontal position.
        var x: Double
        /// Vertical position.
        var y: Double
    }

    /// What the room sends about one connection: a move `{"id","x","y"}`, a join, or a leave `{"id","left":true}`.
    struct Event: Encodable, Sendable {
        /// The connection the event is about.
        var id: String
        /// New position, for moves.
        var x: Double?
        /// New position, for moves.
        var y: Double?
        /// The joining cursor, for joins.
        var joined: CursorState?
        /// `true` when the connection left.
        var left: Bool?
    }

    /// Every cursor of a room (or of a team), keyed by connection id: `{"cursors":{"ID":{...}}}`.
    struct Snapshot: Encodable, Sendable {
        /// Cursor state by connection id.
        var cursors: [String: CursorState]
    }
}
