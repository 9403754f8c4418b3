import PartyServer

/// A chat room for client tests: greets each connection with what the server saw of it
/// (`welcome <id> auth=<Authorization> token=<token query parameter>`), records connects, closes
/// and every message it receives in ``Recorder`` under the room's name (`connect <id>`,
/// `close <id> <code>`, `<id>:<text>`), relays messages to the other connections like `Chat`, and
/// answers HTTP with what it saw of the request.
actor Greeter: Server {
    let room: Room

    init(room: Room) {
        self.room = room
    }

    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        let request = context.request
        let auth = request.headers[.authorization] ?? "-"
        Recorder.shared.record(room.name, "connect \(connection.id)")
        connection.send(text: "welcome \(connection.id) auth=\(auth) token=\(request.queryValue("token") ?? "-")")
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        Recorder.shared.record(room.name, "\(connection.id):\(message.text ?? "<binary>")")
        room.broadcast(message, excluding: connection)
    }

    func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws {
        Recorder.shared.record(room.name, "close \(connection.id) \(code)")
    }

    func onRequest(_ request: Request) async throws -> Response {
        .json([
            "method": "\(request.method)", "path": request.path, "body": request.text,
            "auth": request.headers[.authorization] ?? "-", "token": request.queryValue("token") ?? "-",
            "pk": request.queryValue("_pk") ?? "-",
        ])
    }
}
