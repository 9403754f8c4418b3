import Foundation
import PartyLogux
import PartyServer

/// A Logux type for tests: `note/add` goes to channel `notes`, `note/secret` is denied,
/// `note/fail` throws in `process`, `note/to-user` goes to the user named in its `user` field;
/// channel `notes` loads `notes/loaded`, `private` is denied. It keeps 5 actions per channel and
/// cleans every 10. `GET` answers the log's counts; `POST ?user=U` adds an action for U, `POST ?clean=1` cleans the log first.
actor LoguxNotes: LoguxServer {
    static var loguxOptions: LoguxOptions { LoguxOptions(keepLastPerChannel: 5, cleanEvery: 10) }

    let room: Room
    var logux = LoguxState()

    init(room: Room) { self.room = room }

    struct Failure: Error {}

    func access(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxAccess {
        switch action.type {
        case "note/add", "note/fail", "note/to-user": .allow
        case "note/secret": .deny
        default: .unknown
        }
    }

    func process(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxRecipients {
        switch action.type {
        case "note/fail": throw Failure()
        case "note/to-user": .user(action.string("user") ?? "")
        default: .channel("notes")
        }
    }

    func accessChannel(_ channel: String, _ context: LoguxContext) async throws -> LoguxAccess {
        switch channel {
        case "notes": .allow
        case "private": .deny
        default: .unknown
        }
    }

    func load(channel: String, since: LoguxSince?, _ context: LoguxContext) async throws -> [LoguxAction] {
        [LoguxAction(type: "notes/loaded")]
    }

    func onRequest(_ request: Request) async throws -> Response {
        if request.method == .post, let user = request.queryValue("user") {
            try await loguxAdd(LoguxAction(type: "announce"), to: .user(user))
            return .text("added")
        }
        try await loguxStart()
        if request.queryValue("clean") != nil { try await loguxClean() }
        let entries = try await room.storage.list(prefix: "logux/a/", as: LoguxEntryProbe.self).count
        let nodes = try await room.storage.list(prefix: "logux/n/", as: LoguxNodeProbe.self).count
        return .text("entries=\(entries) nodes=\(nodes)")
    }

    struct LoguxEntryProbe: Codable, Sendable { var meta: LoguxMeta }
    struct LoguxNodeProbe: Codable, Sendable { var seen: Int64 }
}

/// The `LoguxServer` of README.md's Logux section, as written there.
actor Todos: LoguxServer {
    let room: Room
    var logux = LoguxState()
    init(room: Room) { self.room = room }

    func access(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxAccess {
        switch action.type {
        case "todo/add": .allow
        case "todo/clear": context.userId == "admin" ? .allow : .deny        // undo, reason "denied"
        default: .unknown                                                    // undo, "unknown-type"
        }
    }

    func process(_ action: LoguxAction, _ context: LoguxContext) async throws -> LoguxRecipients {
        let todo = try action.decode(AddTodo.self)
        try await room.storage.put("todo:\(context.meta.id)", todo.text)     // durable with the action
        return .channel("todos")           // or LoguxRecipients(users:, clients:, nodes:)
    }

    func accessChannel(_ channel: String, _ context: LoguxContext) async throws -> LoguxAccess {
        channel == "todos" ? .allow : .unknown                               // undo, "wrong-channel"
    }

    func load(channel: String, since: LoguxSince?, _ context: LoguxContext) async throws -> [LoguxAction] {
        let texts = try await room.storage.list(prefix: "todo:", as: String.self).values
        return try [LoguxAction(encoding: TodoList(texts: Array(texts)))]    // what a subscriber gets first
    }
}

struct AddTodo: Codable { var type = "todo/add"; var text: String }
struct TodoList: Codable { var type = "todo/list"; var texts: [String] }
