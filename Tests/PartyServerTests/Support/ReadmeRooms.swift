import Foundation
import PartyServer

/// The `Notes` server type from README.md's "Durable rooms" section.
actor ReadmeNotes: Server, Snapshotting {
    static var options: ServerOptions { ServerOptions(hibernate: true, hibernateAfter: .seconds(10)) }
    let room: Room
    var draft = ""
    init(room: Room) { self.room = room }

    func snapshot() async throws -> String { draft }
    func restore(_ snapshot: String) async throws { draft = snapshot }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        let count = (try await room.storage.get("count", as: Int.self) ?? 0) + 1
        try await room.storage.put("count", count)
        connection.send(text: "saved \(count)")
        try await room.setAlarm(at: room.now.addingTimeInterval(3600))
    }

    func onAlarm(_ info: AlarmInfo) async throws {
        try await room.storage.deleteAll()
    }
}
