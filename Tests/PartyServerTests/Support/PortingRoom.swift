import Foundation
import HTTPTypes
import NIOCore
import PartyServer

/// A room for what PartyServer users port over: before-hooks that answer with their own
/// response, the client's address, several tags, `env` with secrets, `onError` for protocol errors.
actor PortingRoom: Server {
    let room: Room

    init(room: Room) {
        self.room = room
    }

    static func onBeforeRequest(_ request: Request, lobby: Lobby) async throws -> Request {
        if request.path == "/private" { throw Rejection.respond(.redirect(to: "/login")) }
        if request.queryValue("deny") != nil {
            throw Rejection.respond(Response(status: .forbidden, headers: [.contentType: "text/html"], body: ByteBuffer(string: "<h1>no entry</h1>")))
        }
        return request
    }

    static func onBeforeConnect(_ request: Request, lobby: Lobby) async throws -> Request {
        if request.queryValue("redirect") != nil { throw Rejection.respond(.redirect(to: "/elsewhere", status: .temporaryRedirect)) }
        return request
    }

    func onRequest(_ request: Request) async throws -> Response {
        switch request.path {
        case "/address": .text(request.remoteAddress ?? "-")
        case "/env": .text(room.env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
        default: .error(.notFound, "no such path")
        }
    }

    func getConnectionTags(_ connection: Connection, _ context: ConnectionContext) async throws -> [String] {
        context.request.queryValue("tags")?.split(separator: ",").map(String.init) ?? []
    }

    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        connection.send(text: "address \(context.remoteAddress ?? "-")")
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        guard let text = message.text, text.hasPrefix("tagged ") else { return }
        let tags = text.dropFirst(7).split(separator: ",").map(String.init)
        connection.send(text: room.connections(tagged: tags).map(\.id).sorted().joined(separator: ","))
    }

    func onError(_ connection: Connection, _ error: any Error) async {
        if let error = error as? ConnectionProtocolError {
            Recorder.shared.record(room.name, "protocol error \(error.code)")
        }
    }
}
