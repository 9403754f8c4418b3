import Foundation
import NIOCore
import PartyServer
import Synchronization

/// A hibernating room whose notes live in memory and survive hibernation through a snapshot.
/// Records every lifecycle step under the room's name; `ping` is auto-answered with `pong`.
actor Notebook: Snapshotting {
    static var options: ServerOptions {
        ServerOptions(hibernate: true, hibernateAfter: .seconds(10), autoResponse: AutoResponse(request: "ping", response: "pong"))
    }

    /// Alarm runs that still have to throw, per room name.
    static let alarmFailures = Mutex<[String: Int]>([:])

    struct Snapshot: Codable, Sendable {
        var notes: [String]
    }

    let room: Room
    var notes: [String] = []

    init(room: Room) {
        self.room = room
        Recorder.shared.record(room.name, "init")
    }

    func snapshot() async throws -> Snapshot {
        Recorder.shared.record(room.name, "snapshot \(notes.count)")
        return Snapshot(notes: notes)
    }

    func restore(_ snapshot: Snapshot) async throws {
        notes = snapshot.notes
        Recorder.shared.record(room.name, "restore \(notes.count)")
    }

    func onStart() async throws {
        Recorder.shared.record(room.name, "start")
    }

    func getConnectionTags(_ connection: Connection, _ context: ConnectionContext) async throws -> [String] {
        context.request.queryValue("tags").map { $0.split(separator: ",").map(String.init) } ?? []
    }

    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        Recorder.shared.record(room.name, "connect \(connection.id)")
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        guard let text = message.text else { return }
        Recorder.shared.record(room.name, "message \(connection.id) \(text.prefix(40))")
        let (command, argument) = text.firstIndex(of: ":").map { (String(text[..<$0]), String(text[text.index(after: $0)...])) } ?? (text, "")
        switch command {
        case "add":
            notes.append(argument)
            connection.send(text: "notes:\(notes.joined(separator: ","))")
        case "seq":
            notes.append(argument)
            connection.send(text: "ack:\(argument)")
        case "state":
            try connection.setState(argument)
            connection.send(text: "state-set")
        case "who":
            let state: String = connection.state(as: String.self) ?? "-"
            connection.send(text: "who id=\(connection.id) tags=\(connection.tags.joined(separator: ",")) state=\(state) uri=\(connection.uri)")
        case "put":
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            try await room.storage.put(parts[0], parts.count > 1 ? parts[1] : "")
            connection.send(text: "stored")
        case "put-unconfirmed":
            try await room.storage.put("k", argument, allowUnconfirmed: true)
            connection.send(text: "stored")
        case "say":
            room.broadcast(text: argument)
        case "alarm-in":
            let milliseconds = Double(argument) ?? 0
            try await room.setAlarm(at: room.now.addingTimeInterval(milliseconds / 1000))
            connection.send(text: "alarm-set")
        case "delete-alarm":
            try await room.deleteAlarm()
            connection.send(text: "alarm-deleted")
        default:
            connection.send(text: "unknown:\(text)")
        }
    }

    func onAlarm(_ info: AlarmInfo) async throws {
        Recorder.shared.record(room.name, "alarm \(info.retryCount) \(info.isRetry)")
        let stored: String? = try await room.storage.get("k")
        let fail = Self.alarmFailures.withLock { failures -> Bool in
            guard let left = failures[room.name], left > 0 else { return false }
            failures[room.name] = left - 1
            return true
        }
        if fail { throw ProbeError() }
        room.broadcast(text: "alarm:\(info.retryCount):\(room.name):\(stored ?? "-")")
    }

    /// `GET /notes` lists the notes; `GET /alarm` the alarm time in ms since 1970 (or `none`).
    func onRequest(_ request: Request) async throws -> Response {
        switch request.path {
        case "/alarm":
            return .text(room.alarm().map { String(Int64(($0.timeIntervalSince1970 * 1000).rounded())) } ?? "none")
        default:
            return .text(notes.joined(separator: ","))
        }
    }
}

/// A room that does not hibernate: a count in memory and one in storage, bumped by each request.
actor Scratch: Server {
    static var options: ServerOptions { ServerOptions(hibernate: false, hibernateAfter: .seconds(10)) }

    let room: Room
    var hits = 0

    init(room: Room) {
        self.room = room
    }

    func onRequest(_ request: Request) async throws -> Response {
        if request.method == .put {
            try await room.storage.put("blob", Data(request.body.readableBytesView))
            return .text("stored \(request.body.readableBytes) bytes")
        }
        hits += 1
        let stored = (try await room.storage.get("hits", as: Int.self) ?? 0) + 1
        try await room.storage.put("hits", stored)
        return .text("memory=\(hits) stored=\(stored)")
    }
}
