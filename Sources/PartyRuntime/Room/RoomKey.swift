/// The identity of a room: its server type's route name and its name.
package struct RoomKey: Hashable, Sendable, CustomStringConvertible {
    /// The server type's route name.
    package let server: String
    /// The room name.
    package let name: String

    package init(server: String, name: String) {
        self.server = server
        self.name = name
    }

    package var description: String { "\(server)/\(name)" }
}
