import Foundation
import PartyServer
import Synchronization

/// A room other rooms call: typed calls keep a durable total, requests are echoed or stored.
actor Ledger: CallableServer {
    static let options = ServerOptions(hibernate: true, hibernateAfter: .seconds(60))

    enum Call: Codable, Sendable {
        /// Adds to the stored total and answers it.
        case add(Int)
        /// Throws a `LedgerFailure` with the message.
        case fail(String)
        /// Waits until the test opens the room's gate in `CallGates`, then answers the total.
        case wait
        /// Calls the first room of the list with the rest of it (ledger rooms), answering what that
        /// call answered or how it failed.
        case relay([String])
    }

    struct Reply: Codable, Sendable, Equatable {
        var total = 0
        var caller = ""
        var error: String?
        var chain: [String]?
    }

    let room: Room
    private var total = 0

    init(room: Room) { self.room = room }

    func onStart() async throws {
        Recorder.shared.record(room.name, "start")
        total = try await room.storage.get("total") ?? 0
    }

    func onCall(_ call: Call, from caller: RoomCaller) async throws -> Reply {
        switch call {
        case .add(let amount):
            let stored: Int = try await room.storage.get("total") ?? 0
            await Task.yield()
            total = stored + amount
            try await room.storage.put("total", total)
        case .fail(let message):
            throw LedgerFailure(message: message)
        case .wait:
            await CallGates.gate(room.name).wait()
        case .relay(let names):
            guard let next = names.first else { break }
            do {
                return try await room.stub(for: Ledger.self, named: next).call(.relay(Array(names.dropFirst())))
            } catch {
                var reply = Reply(total: total, caller: caller.description, error: error.reason)
                if case .cycle(let chain) = error { reply.chain = chain }
                return reply
            }
        }
        return Reply(total: total, caller: caller.description)
    }

    func onRequest(_ request: Request) async throws -> Response {
        switch request.path {
        case "/store":
            try await room.storage.put("note", request.text)
            return .text("stored")
        case "/reject":
            throw Rejection(.forbidden, "no entry")
        case "/throw":
            throw LedgerFailure(message: "request failed")
        default:
            let echo = [
                "method": request.method.rawValue, "path": request.path, "header": request.headers[HTTPField.Name("x-test")!] ?? "",
                "body": request.text, "caller": RoomCaller.current?.description ?? "none",
            ]
            return .json(echo)
        }
    }
}

/// What `Ledger` throws for `.fail`.
struct LedgerFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A server type that is never registered.
actor Unregistered: Server {
    init(room: Room) {}
}

/// A room whose HTTP requests call a `Ledger`: `POST /parties/front-desk/x?ledger=NAME` forwards
/// the body to the ledger's `onRequest` and adds a typed call, answering both.
actor FrontDesk: Server {
    let room: Room
    init(room: Room) { self.room = room }

    func onRequest(_ request: Request) async throws -> Response {
        let ledger = room.stub(for: Ledger.self, named: request.queryValue("ledger") ?? "main")
        let echoed = try await ledger.fetch(.post, path: "/echo", headers: [HTTPField.Name("x-test")!: "desk"], body: request.body)
        let reply = try await ledger.call(.add(Int(request.text) ?? 0))
        return .text("\(echoed.text) total=\(reply.total) caller=\(reply.caller)")
    }
}

/// Gates `Ledger.Call.wait` waits on, by room name.
enum CallGates {
    private static let gates = Mutex<[String: Gate]>([:])

    static func gate(_ name: String) -> Gate {
        gates.withLock { gates in
            if let gate = gates[name] { return gate }
            let gate = Gate()
            gates[name] = gate
            return gate
        }
    }
}
