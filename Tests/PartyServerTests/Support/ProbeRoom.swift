import Foundation
import PartyServer
import Synchronization

/// Error thrown on purpose by test rooms.
struct ProbeError: Error, CustomStringConvertible {
    var description: String { "probe failure" }
}

/// A room that records every hook and obeys text commands, for live tests.
actor Probe: Server {
    static let inits = Mutex<[String: Int]>([:])

    let room: Room

    init(room: Room) {
        self.room = room
        Self.inits.withLock { $0[room.name, default: 0] += 1 }
        Recorder.shared.record(room.name, "init")
    }

    static func initCount(_ name: String) -> Int { inits.withLock { $0[name] ?? 0 } }

    func onStart() async throws {
        Recorder.shared.record(room.name, "start")
    }

    static func onBeforeConnect(_ request: Request, lobby: Lobby) async throws -> Request {
        Recorder.shared.record(lobby.name, "beforeConnect")
        if request.headers[values: .init("x-reject")!].first != nil {
            throw Rejection(.unauthorized, "rejected by onBeforeConnect")
        }
        var request = request
        if let user = request.queryValue("user") {
            request.user = User(id: user, roles: ["member"])
            request.properties["checked"] = "yes"
        }
        return request
    }

    static func onBeforeRequest(_ request: Request, lobby: Lobby) async throws -> Request {
        Recorder.shared.record(lobby.name, "beforeRequest")
        if request.headers[values: .init("x-reject")!].first != nil {
            throw Rejection(.forbidden, "rejected by onBeforeRequest")
        }
        var request = request
        request.properties["seen-by"] = "onBeforeRequest"
        return request
    }

    func getConnectionTags(_ connection: Connection, _ context: ConnectionContext) async throws -> [String] {
        guard let tags = context.request.queryValue("tags") else { return [] }
        if tags == "too-many" { return (1...10).map { "t\($0)" } }
        if tags == "too-long" { return [String(repeating: "x", count: 257)] }
        if tags == "empty" { return [""] }
        return tags.split(separator: ",").map(String.init)
    }

    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        let header = context.request.headers[values: .init("x-test")!].first ?? "-"
        Recorder.shared.record(
            room.name,
            "connect \(connection.id) uri=\(connection.uri) q=\(context.request.queryValue("q") ?? "-") h=\(header) user=\(connection.user?.id ?? "-") props=\(context.request.properties["checked"] ?? "-") tags=\(connection.tags.joined(separator: ","))"
        )
        if context.request.queryValue("fail") == "connect" { throw ProbeError() }
        connection.send(text: "welcome:\(connection.id)")
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        guard let text = message.text else {
            connection.send(message)
            return
        }
        Recorder.shared.record(room.name, "message \(connection.id) \(text.prefix(60))")
        let (command, argument) = Self.split(text)
        switch command {
        case "echo":
            connection.send(text: argument)
        case "throw":
            throw ProbeError()
        case "broadcast":
            room.broadcast(.text(argument), excluding: [connection.id])
        case "broadcast-all":
            room.broadcast(text: argument)
        case "state":
            do {
                try connection.setState(String(repeating: "s", count: Int(argument) ?? 0))
                connection.send(text: "state-ok")
            } catch {
                connection.send(text: "state-error:\(error)")
            }
        case "getstate":
            connection.send(text: "state:\(connection.state(as: String.self)?.count ?? -1)")
        case "tagged":
            let ids = room.connections(tagged: argument).map(\.id).sorted()
            connection.send(text: "tagged:\(ids.joined(separator: ","))")
        case "lookup":
            connection.send(text: "lookup:\(room.connection(id: argument)?.id ?? "none")")
        case "close":
            connection.close(code: Int(argument) ?? 1000, reason: "closed by room")
        case "flood":
            // flood:COUNT:SIZE sends COUNT numbered messages of about SIZE bytes to everyone.
            let parts = argument.split(separator: ":")
            let count = Int(parts[0]) ?? 0
            let size = Int(parts[1]) ?? 0
            let padding = String(repeating: "p", count: size)
            for index in 0..<count {
                room.broadcast(text: "\(index):\(padding)")
            }
            connection.send(text: "flood-done")
        default:
            connection.send(text: "unknown:\(command)")
        }
    }

    func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws {
        Recorder.shared.record(room.name, "close \(connection.id) \(code) \(reason) \(wasClean)")
    }

    func onError(_ connection: Connection, _ error: any Error) async {
        Recorder.shared.record(room.name, "error \(connection.id) \(error)")
    }

    func onRequest(_ request: Request) async throws -> Response {
        Recorder.shared.record(room.name, "request \(request.method) \(request.path)")
        if request.path == "/throw" { throw ProbeError() }
        return .json([
            "server": room.server,
            "name": room.name,
            "method": request.method.rawValue,
            "path": request.path,
            "q": request.queryValue("q") ?? "-",
            "body": request.text,
            "seen": request.properties["seen-by"] ?? "-",
        ])
    }

    private static func split(_ text: String) -> (String, String) {
        guard let colon = text.firstIndex(of: ":") else { return (text, "") }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}

/// A room whose `onStart` fails on the first attempt per room name and succeeds afterwards.
actor FlakyStart: Server {
    static let attempts = Mutex<[String: Int]>([:])
    let room: Room

    init(room: Room) { self.room = room }

    func onStart() async throws {
        let attempt = Self.attempts.withLock { attempts -> Int in
            attempts[room.name, default: 0] += 1
            return attempts[room.name]!
        }
        if attempt == 1 { throw ProbeError() }
    }

    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        connection.send(text: "started")
    }

    func onRequest(_ request: Request) async throws -> Response {
        .text("started")
    }
}

/// A room whose `onStart` waits for a gate, so many first connections arrive during activation.
actor GatedStart: Server {
    static let gates = Mutex<[String: Gate]>([:])
    static let inits = Mutex<[String: Int]>([:])
    static let starts = Mutex<[String: Int]>([:])
    let room: Room

    init(room: Room) {
        self.room = room
        Self.inits.withLock { $0[room.name, default: 0] += 1 }
    }

    static func gate(_ name: String) -> Gate {
        gates.withLock { gates in
            if let gate = gates[name] { return gate }
            let gate = Gate()
            gates[name] = gate
            return gate
        }
    }

    func onStart() async throws {
        Self.starts.withLock { $0[room.name, default: 0] += 1 }
        await Self.gate(room.name).wait()
    }

    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        connection.send(text: "ready")
    }
}

/// A server type with a multi-word name, to check kebab-case routing.
actor ChatRoom: Server {
    let room: Room
    init(room: Room) { self.room = room }

    func onRequest(_ request: Request) async throws -> Response {
        .text("chat-room \(room.name) \(request.path)")
    }
}

/// A server type that implements no hooks at all.
actor Bare: Server {
    init(room: Room) {}
}
