import Foundation
import PartyServer
import PartyYjs

/// Shared notes for y-websocket clients: one Yjs document per room, durable in the room's storage,
/// with a copy of each document written to `EXPORT_DIR/<room>.ydoc` (for backups or another
/// system), read back as the first content of a room that has none. Connections with
/// `?mode=view` in their URL only read.
actor Notes: YServer {
    /// Hibernates after 30 idle seconds; clients stay connected.
    static var options: ServerOptions { ServerOptions(hibernate: true, hibernateAfter: .seconds(30)) }

    /// Saves at most every 10 s while people type, 2 s after they pause.
    static var yjsOptions: YjsOptions { YjsOptions(saveDebounce: .seconds(2), saveMaxWait: .seconds(10)) }

    let room: Room
    var yjs = YjsState()

    init(room: Room) { self.room = room }

    /// Where this room's exported copy lives.
    private var exportFile: URL {
        let directory = ProcessInfo.processInfo.environment["EXPORT_DIR"] ?? FileManager.default.currentDirectoryPath
        return URL(fileURLWithPath: directory).appendingPathComponent("\(room.name).ydoc")
    }

    /// A room with nothing stored starts from its exported copy, if there is one.
    func onLoad() async throws -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: exportFile.path) else { return nil }
        room.logger.info("seeding the document from \(exportFile.path)")
        return [UInt8](data)
    }

    /// Writes the whole document (one Yjs update) to the export file.
    func onSave(_ update: [UInt8]) async throws {
        try Data(update).write(to: exportFile, options: .atomic)
    }

    /// `?mode=view` connections only read.
    func isReadOnly(_ connection: Connection) async -> Bool {
        connection.uri.contains("mode=view")
    }

    /// `GET /parties/notes/:name` answers the document as one update.
    func onRequest(_ request: Request) async throws -> Response {
        try await yjsDocumentResponse(request)
    }
}
