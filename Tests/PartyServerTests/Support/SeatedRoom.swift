import Foundation
import PartyServer

/// A room whose clients keep their place for 30 s after a drop: it records connects, drops,
/// reconnects and closes, and keeps a score in each connection's state.
actor SeatedRoom: Server {
    static var options: ServerOptions { ServerOptions(reconnectionWindow: .seconds(30)) }

    let room: Room

    init(room: Room) {
        self.room = room
    }

    func getConnectionTags(_ connection: Connection, _ context: ConnectionContext) async throws -> [String] { ["player"] }

    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        Recorder.shared.record(room.name, "connect \(connection.id)")
        connection.send(text: "hello \(connection.id)")
    }

    func onReconnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        Recorder.shared.record(room.name, "reconnect \(connection.id)")
        connection.send(text: "welcome back \(describe(connection))")
    }

    func onDrop(_ connection: Connection, code: Int, reason: String) async throws {
        Recorder.shared.record(room.name, "drop \(connection.id) \(code)")
    }

    func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws {
        Recorder.shared.record(room.name, "close \(connection.id) \(code)")
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        guard let text = message.text else { return }
        if text.hasPrefix("score:"), let score = Int(text.dropFirst(6)) {
            try connection.setState(score)
        }
        connection.send(text: describe(connection))
    }

    private func describe(_ connection: Connection) -> String {
        "score=\(connection.state(as: Int.self).map(String.init) ?? "-") tags=\(connection.tags.joined(separator: ","))"
    }
}

/// A one-seat room with a reconnection window: a dropped client keeps the only seat.
actor SoloSeat: Server {
    static var options: ServerOptions { ServerOptions(maxClients: 1, reconnectionWindow: .seconds(30)) }

    init(room: Room) {}

    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        connection.send(text: "hello \(connection.id)")
    }

    func onReconnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        connection.send(text: "welcome back \(connection.id)")
    }
}
