import Foundation
import PartyServer

/// Moves and chat lines as Codable messages.
enum BoardMessage: Codable, Sendable {
    case move(from: String, to: String)
    case say(text: String)
}

/// What the boards send back.
struct BoardUpdate: Codable, Sendable, Equatable {
    var kind: String
    var detail: String
    var by: String
}

/// A typed room that closes connections sending what does not decode (the default).
actor StrictBoard: TypedServer {
    typealias ClientMessage = BoardMessage
    typealias ServerMessage = BoardUpdate

    let room: Room

    init(room: Room) {
        self.room = room
    }

    func onMessage(_ connection: Connection, _ message: BoardMessage) async throws {
        try BoardRules.handle(message, from: connection, in: room, board: self)
    }

    func onError(_ connection: Connection, _ error: any Error) async {
        if let error = error as? MessageDecodingError { Recorder.shared.record(room.name, "decode \(connection.id) \(error.detail)") }
    }
}

/// A typed room that answers what does not decode with an error and keeps the connection.
actor LenientBoard: TypedServer {
    typealias ClientMessage = BoardMessage
    typealias ServerMessage = BoardUpdate
    static var malformedMessages: MalformedMessagePolicy { .reply }

    let room: Room

    init(room: Room) {
        self.room = room
    }

    func onMessage(_ connection: Connection, _ message: BoardMessage) async throws {
        try BoardRules.handle(message, from: connection, in: room, board: self)
    }
}

/// What both boards do with a decoded message: moves go to everyone, lines back to the sender.
enum BoardRules {
    static func handle<Board: TypedServer>(_ message: BoardMessage, from connection: Connection, in room: Room, board: Board) throws
    where Board.ServerMessage == BoardUpdate {
        switch message {
        case .move(let from, let to): try board.broadcast(BoardUpdate(kind: "move", detail: "\(from)-\(to)", by: connection.id), in: room)
        case .say(let text): try board.send(BoardUpdate(kind: "said", detail: text, by: connection.id), to: connection)
        }
    }
}

/// The `Board` of README.md's "Typed messages", kept here so it keeps compiling and working.
actor ReadmeBoard: TypedServer {
    enum ClientMessage: Decodable, Sendable { case move(from: String, to: String), say(text: String) }
    struct ServerMessage: Encodable, Sendable { var kind: String, detail: String }
    static var malformedMessages: MalformedMessagePolicy { .reply }   // default .close
    let room: Room
    init(room: Room) { self.room = room }

    func onMessage(_ connection: Connection, _ message: ClientMessage) async throws {
        switch message {   // {"move":{"from":"e2","to":"e4"}}
        case .move(let from, let to): try broadcast(ServerMessage(kind: "move", detail: "\(from)-\(to)"), in: room)
        case .say(let text): try send(ServerMessage(kind: "said", detail: text), to: connection)
        }
    }
}
