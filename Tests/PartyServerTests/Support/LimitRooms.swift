import PartyServer
import Synchronization

/// A room whose `onMessage` can be held on a gate (`block`), to show that a busy room does not
/// make its peers look dead.
actor SlowRoom: Server {
    static let gates = Mutex<[String: Gate]>([:])
    let room: Room

    init(room: Room) { self.room = room }

    static func gate(_ name: String) -> Gate {
        gates.withLock { gates in
            if let gate = gates[name] { return gate }
            let gate = Gate()
            gates[name] = gate
            return gate
        }
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        let text = message.text ?? ""
        Recorder.shared.record(room.name, "message \(connection.id) \(text)")
        if text == "block" {
            await Self.gate(room.name).wait()
        }
        connection.send(text: "done:\(text)")
    }

    func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws {
        Recorder.shared.record(room.name, "close \(connection.id) \(code) \(reason) \(wasClean)")
    }
}

/// A room that hibernates one second after its last event and records every wake and close.
actor SleepyRoom: Server {
    static let options = ServerOptions(hibernate: true, hibernateAfter: .seconds(1))
    let room: Room

    init(room: Room) {
        self.room = room
        Recorder.shared.record(room.name, "init")
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        connection.send(text: "awake:\(message.text ?? "")")
    }

    func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws {
        Recorder.shared.record(room.name, "close \(connection.id) \(code) \(reason) \(wasClean)")
    }
}
