import Benchmark
import Crypto
import PartyRooms
import PartyServer
import PartyServerTesting

/// Micro-benchmarks of the room runtime, driven in memory (no sockets): what one message, one
/// broadcast and one activation cost in time and allocations.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .instructions],
        warmupIterations: 10,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )

    Benchmark("Dispatch: one chat message to one other connection") { benchmark in
        let room = InMemoryRoom(Chat.self, name: "dispatch")
        let sender = await room.connect(id: "sender")
        let receiver = await room.connect(id: "receiver")
        let message = Message.text(String(repeating: "m", count: 64))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            await sender.send(message)
            blackHole(receiver.discardReceived())
        }
        benchmark.stopMeasurement()
    }

    Benchmark(
        "Broadcast: one chat message to 1,000 connections",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal, .instructions], maxIterations: 2_000)
    ) { benchmark in
        let room = InMemoryRoom(Chat.self, name: "broadcast")
        let sender = await room.connect(id: "sender")
        var receivers: [InMemoryClient] = []
        for index in 0..<1_000 {
            receivers.append(await room.connect(id: "r\(index)"))
        }
        let message = Message.text(String(repeating: "b", count: 64))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            await sender.send(message)
            for receiver in receivers {
                blackHole(receiver.discardReceived())
            }
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Activation: start a counter room and connect to it") { benchmark in
        for index in benchmark.scaledIterations {
            let room = InMemoryRoom(Counter.self, name: "room-\(index)")
            let client = await room.connect(id: "c")
            blackHole(client.discardReceived())
        }
    }

    Benchmark("Floor: await one actor method (for comparison with Dispatch)") { benchmark in
        let target = HopTarget()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(await target.touch())
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Enqueue: send one message on a connection and drain its queue") { benchmark in
        let room = InMemoryRoom(Chat.self, name: "enqueue")
        let client = await room.connect(id: "client")
        let message = Message.text(String(repeating: "e", count: 64))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            client.connection.send(message)
            blackHole(client.discardReceived())
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Routing: match and validate /parties/chat/NAME/rest") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(RoomRoute.match(path: "/parties/chat/some%20room-name/more/path", prefix: "parties"))
        }
    }

    Benchmark("Token: verify an HS256 JWT (once per upgrade or request)") { benchmark in
        let key = try JWTKey.hs256(secret: Array(repeating: UInt8(7), count: 48))
        let verifier = await JWTAuthenticator(configuration: JWTAuthentication(keys: [key]))
        let token = try await JWTTokenIssuer(key: key).token(subject: "alice", expiresIn: .seconds(3600), roles: ["editor"])
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await verifier.verify(token))
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Token: verify an ES256 JWT (once per upgrade or request)") { benchmark in
        let signing = try JWTKey.es256(privateKeyPEM: P256.Signing.PrivateKey().pemRepresentation)
        let verifier = await JWTAuthenticator(configuration: JWTAuthentication(keys: [signing]))
        let token = try await JWTTokenIssuer(key: signing).token(subject: "alice", expiresIn: .seconds(3600))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await verifier.verify(token))
        }
        benchmark.stopMeasurement()
    }
}

/// An actor with one trivial method: the cost floor of an actor hop.
actor HopTarget {
    private var count = 0

    func touch() -> Int {
        count += 1
        return count
    }
}
