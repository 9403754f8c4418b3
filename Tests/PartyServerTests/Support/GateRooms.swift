import Foundation
import NIOCore
import PartyServer

/// One count in storage, bumped by read-modify-write from every kind of event: a WebSocket
/// message (`inc`, answered `n N`), `POST` (answered `N`), and an alarm chain (`alarms:K` runs
/// the alarm K times, each run bumping the count and setting the next alarm at once). `GET`
/// returns `count N alarms K`.
actor TallyRoom: Server {
    let room: Room

    init(room: Room) {
        self.room = room
    }

    /// Reads, waits for a storage round trip on purpose, then writes: the pattern that loses
    /// updates when two events interleave.
    private func bump() async throws -> Int {
        let count = (try await room.storage.get("count", as: Int.self) ?? 0) + 1
        _ = try await room.storage.get("unrelated", as: Int.self)
        try await room.storage.put("count", count)
        return count
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        guard let text = message.text else { return }
        if text == "inc" {
            connection.send(text: "n \(try await bump())")
        } else if text.hasPrefix("alarms:"), let runs = Int(text.dropFirst("alarms:".count)) {
            try await room.storage.put("alarms-left", runs)
            try await room.setAlarm(at: room.now)
            connection.send(text: "alarms set")
        }
    }

    func onAlarm(_ info: AlarmInfo) async throws {
        _ = try await bump()
        let left = (try await room.storage.get("alarms-left", as: Int.self) ?? 0) - 1
        let done = (try await room.storage.get("alarms", as: Int.self) ?? 0) + 1
        try await room.storage.put(["alarms-left": left, "alarms": done])
        if left > 0 { try await room.setAlarm(at: room.now) }
    }

    func onRequest(_ request: Request) async throws -> Response {
        if request.method == .post { return .text("\(try await bump())") }
        let count = try await room.storage.get("count", as: Int.self) ?? 0
        let alarms = try await room.storage.get("alarms", as: Int.self) ?? 0
        return .text("count \(count) alarms \(alarms)")
    }
}

/// A room whose `hold:NAME` message awaits the test gate `NAME` (something that is not storage)
/// and whose `echo:X` message answers `X`; every step is recorded. Registered twice: as
/// `held` with the input gate (the default) and as `open-held` without it.
actor HeldRoom: Server {
    let room: Room

    init(room: Room) {
        self.room = room
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        guard let text = message.text else { return }
        if text.hasPrefix("hold:") {
            Recorder.shared.record(room.name, "hold begins")
            await TestGates.shared.gate(String(text.dropFirst(5))).wait()
            Recorder.shared.record(room.name, "hold ends")
            connection.send(text: "held")
        } else if text.hasPrefix("echo:") {
            Recorder.shared.record(room.name, "echo")
            connection.send(text: String(text.dropFirst(5)))
        }
    }

    /// The same type without the input gate.
    static let withoutGate = ServerOptions(inputGate: false)
}

/// A count kept in memory and in storage, where one message can also store a large blob in the
/// same event: `inc:BYTES` adds 1 to the count in memory, stores it and a blob of `BYTES` bytes,
/// sets the alarm an hour ahead, and answers `count N`. `GET` answers `count N` from memory,
/// `GET /stored` from storage, `GET /alarm` the alarm (`none` or milliseconds).
actor BlobCounter: Server {
    let room: Room
    var count = 0

    init(room: Room) {
        self.room = room
    }

    func onStart() async throws {
        count = try await room.storage.get("count") ?? 0
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        guard let text = message.text, text.hasPrefix("inc:"), let bytes = Int(text.dropFirst(4)) else { return }
        count += 1
        try await room.storage.put("count", count)
        try await room.storage.put("blob", Data(repeating: 0x61, count: bytes))
        try await room.setAlarm(at: room.now.addingTimeInterval(3600))
        connection.send(text: "count \(count)")
    }

    func onRequest(_ request: Request) async throws -> Response {
        switch request.path {
        case "/stored": return .text("count \(try await room.storage.get("count", as: Int.self) ?? 0)")
        case "/alarm": return .text(room.alarm().map { "\(Int64($0.timeIntervalSince1970 * 1000))" } ?? "none")
        default:
            if request.method == .post {
                count += 1
                try await room.storage.put("count", count)
                try await room.storage.put("blob", Data(request.body.readableBytesView))
            }
            return .text("count \(count)")
        }
    }
}
