import PartyClient
import PartyServerTesting
import Synchronization
import Testing

/// The Swift client example from README.md (with `print` recording instead), kept here so it
/// keeps compiling and working.
@Suite struct PartySocketReadmeTests {
    @Test func readmeClientExample() async throws {
        try await withClientTestServer { server in
            let room = uniqueRoom("lobby")
            let peer = try await server.webSocket("/parties/chat/\(room)?_pk=peer")
            try await peer.joined()
            let printed = Mutex<[String]>([])
            let print = { (line: String) in printed.withLock { $0.append(line) } }

            var options = PartySocketOptions(host: "127.0.0.1:\(server.port)", room: room, party: "chat")
            options.connectionTimeout = .seconds(30)  // a busy test machine is slow, not down
            let socket = try PartySocket(options)
            socket.send("hello")
            async let peerSide: Void = {
                #expect(try await peer.nextText() == "hello")
                try await peer.send(text: "hi there")
                try await peer.send(text: "bye")
            }()
            async let running: Void = socket.run()
            for await event in socket.events {
                switch event {
                case .open: print("connected as \(socket.id)")
                case .message(.text("bye")): socket.close()
                case .message(.text(let text)): print(text)
                case .close(let code, _, _): print("disconnected (\(code))")
                default: break
                }
            }
            try await running
            try await peerSide
            let counter = try PartySocket(PartySocketOptions(host: "127.0.0.1:\(server.port)", room: room, party: "counter"))
            print(try await counter.fetch(method: "POST").text)

            #expect(printed.withLock { $0 } == ["connected as \(socket.id)", "hi there", "disconnected (1000)", #"{"count":1}"#])
            #expect(socket.state == .closed)
        }
    }
}
