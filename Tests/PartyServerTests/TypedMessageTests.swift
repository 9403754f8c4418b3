import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Typed messages")
struct TypedMessageTests {
    private func withBoards(_ body: (PartyTestServer) async throws -> Void) async throws {
        try await PartyTestServer.withServer({ app in
            try app.register(StrictBoard.self, as: "strict")
            try app.register(LenientBoard.self, as: "lenient")
            try app.register(ReadmeBoard.self, as: "board")
        }, body)
    }

    private func update(_ text: String) throws -> BoardUpdate {
        try JSONDecoder().decode(BoardUpdate.self, from: Data(text.utf8))
    }

    @Test("a typed room gets decoded messages and sends typed answers, as text or binary JSON")
    func decoded() async throws {
        try await withBoards { server in
            let white = try await server.webSocket("/parties/strict/game?_pk=white")
            let black = try await server.webSocket("/parties/strict/game?_pk=black")
            try await white.send(text: #"{"move":{"from":"e2","to":"e4"}}"#)
            let expected = BoardUpdate(kind: "move", detail: "e2-e4", by: "white")
            #expect(try update(try await white.nextText()) == expected)
            #expect(try update(try await black.nextText()) == expected)
            try await black.send(binary: Array(#"{"say":{"text":"good luck"}}"#.utf8))
            #expect(try await black.nextText() == #"{"by":"black","detail":"good luck","kind":"said"}"#)
        }
    }

    @Test("a message that does not decode reaches onError and closes the connection with 1003; the others go on")
    func malformedCloses() async throws {
        try await withBoards { server in
            let name = "strict-\(UUID().uuidString.prefix(8))"
            let white = try await server.webSocket("/parties/strict/\(name)?_pk=white")
            let black = try await server.webSocket("/parties/strict/\(name)?_pk=black")
            try await black.send(text: #"{"move":{"from":"e7"}}"#)
            let closed = try await black.waitForClose()
            #expect(closed.code == 1003)
            #expect(closed.reason.contains("does not decode as BoardMessage"))
            #expect(Recorder.shared.events(name).contains { $0.hasPrefix("decode black") && $0.contains("to") })
            try await white.send(text: #"{"say":{"text":"still here"}}"#)
            #expect(try update(try await white.nextText()).detail == "still here")
        }
    }

    @Test("with malformedMessages .reply, a message that does not decode gets an error answer and the connection stays open")
    func malformedReplies() async throws {
        try await withBoards { server in
            let socket = try await server.webSocket("/parties/lenient/game")
            try await socket.send(text: "not json")
            let answer = try JSONValue.parse(try await socket.nextText())
            #expect(answer["status"] == 400)
            #expect(answer["error"]?.stringValue?.hasPrefix("message does not decode as BoardMessage") == true)
            try await socket.send(text: #"{"say":{"text":"ok"}}"#)
            #expect(try update(try await socket.nextText()).detail == "ok")
        }
    }

    @Test("the README's Board answers a move to everyone and a malformed message with an error")
    func readmeBoard() async throws {
        try await withBoards { server in
            let socket = try await server.webSocket("/parties/board/game")
            try await socket.send(text: #"{"move":{"from":"e2","to":"e4"}}"#)
            #expect(try await socket.nextText() == #"{"detail":"e2-e4","kind":"move"}"#)
            try await socket.send(text: #"{"fly":{}}"#)
            #expect(try JSONValue.parse(try await socket.nextText())["status"] == 400)
        }
    }
}
