import Foundation
import PartyServer
import Synchronization

/// A room for the control API tests. It records its lifecycle under its name, tells each
/// connection who it is, keeps notes (its snapshot), and follows its `env`: `gate` makes
/// `onStart` wait on that named gate, `fail` makes `onStart` throw, `closeGate` makes `onClose`
/// wait on that named gate.
actor Session: Snapshotting {
    static var options: ServerOptions { ServerOptions(hibernate: false, hibernateAfter: .seconds(10)) }

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
        Recorder.shared.record(room.name, "snapshot \(notes.joined(separator: ","))")
        return Snapshot(notes: notes)
    }

    func restore(_ snapshot: Snapshot) async throws {
        notes = snapshot.notes
        Recorder.shared.record(room.name, "restore \(notes.joined(separator: ","))")
    }

    func onStart() async throws {
        Recorder.shared.record(room.name, "start")
        if let gate = room.env["gate"] { await TestGates.shared.gate(gate).wait() }
        if room.env["fail"] != nil { throw ProbeError() }
    }

    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        let user = context.user?.id ?? "-"
        let auth = context.auth?.text ?? "-"
        Recorder.shared.record(room.name, "connect \(user) \(auth)")
        connection.send(text: "hello \(user) \(auth)")
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        guard let text = message.text else { return }
        if text.hasPrefix("add:") {
            notes.append(String(text.dropFirst(4)))
            connection.send(text: "notes:\(notes.joined(separator: ","))")
        } else if text == "env" {
            connection.send(text: room.env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";"))
        } else {
            connection.send(text: "echo:\(text)")
        }
    }

    func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws {
        Recorder.shared.record(room.name, "close \(code) \(reason)")
        if let gate = room.env["closeGate"] { await TestGates.shared.gate(gate).wait() }
    }

    func onRequest(_ request: Request) async throws -> Response {
        .text("notes=\(notes.joined(separator: ",")) user=\(request.user?.id ?? "-")")
    }
}

/// Named one-shot gates that rooms wait on and tests open.
final class TestGates: Sendable {
    static let shared = TestGates()

    private let gates = Mutex<[String: Gate]>([:])

    /// The gate called `name`, created closed.
    func gate(_ name: String) -> Gate {
        gates.withLock { gates in
            if let gate = gates[name] { return gate }
            let gate = Gate()
            gates[name] = gate
            return gate
        }
    }
}
