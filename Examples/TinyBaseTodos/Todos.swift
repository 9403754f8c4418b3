import Foundation
import PartyServer
import PartyTinyBase

/// A todo list per room for TinyBase `WsSynchronizer` clients: the room's store syncs with every
/// client, and `POST /parties/todos/:name` with a text body adds a todo from the server (as a
/// script, a webhook or another service would), which every connected client receives.
actor Todos: TinyBaseServer {
    /// Hibernates after 30 idle seconds; clients stay connected.
    static var options: ServerOptions { ServerOptions(hibernate: true, hibernateAfter: .seconds(30)) }

    let room: Room
    var tinybase = TinyBaseState()

    init(room: Room) { self.room = room }

    /// `GET` answers the store's content as JSON; `POST` adds a todo row (cells `text` and
    /// `done`) and answers its id.
    func onRequest(_ request: Request) async throws -> Response {
        guard request.method == .post else { return try await tinybaseContentResponse(request) }
        let text = String(buffer: request.body).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= 500 else { return .error(.badRequest, "send the todo's text (1 to 500 characters) as the body") }
        let id = UUID().uuidString.prefix(8).lowercased()
        try await tinybaseSetCell("todos", id, "text", .string(text))
        try await tinybaseSetCell("todos", id, "done", .boolean(false))
        return .json(["id": id])
    }
}
