import Foundation
import PartyServer

/// A game room with 10 seats that locks and unlocks on request (`lock`, `unlock`) and reports
/// its metadata and lock (`info`).
actor Arena: Server {
    static var options: ServerOptions { ServerOptions(maxClients: 10) }

    let room: Room

    init(room: Room) {
        self.room = room
    }

    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        connection.send(text: "seated \(room.connectionCount)")
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        switch message.text {
        case "lock": room.lock()
        case "unlock": room.unlock()
        case "set-mode": try room.setMetadata(["mode": "duel", "map": "dust"])
        default: break
        }
        connection.send(text: "locked=\(room.isLocked) metadata=\(room.metadata?.text ?? "-")")
    }
}

/// A two-seat room for matchmaking.
actor Duel: Server {
    static var options: ServerOptions { ServerOptions(maxClients: 2, seatReservationTime: .seconds(15)) }

    init(room: Room) {}
}
