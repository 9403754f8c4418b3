import Foundation
import NIOCore
import NIOPosix
@testable import PartyServer
import PartyServerTesting
import Synchronization
import Testing

/// A room whose `onMessage` can be held on a gate (`block`), to show that a busy room does not
/// make its peers look dead.
actor SlowRoom: Server {
    static let gates = Mutex<[String: Gate]>([:])
    let room: Room

    init(room: Room) { self.room = room }

    static func gate(_ name: String) -> Gate {
        gates.withLock { gates in
            if let gate = gates[name] { return gate }
            let gate = Gate()
            gates[name] = gate
            return gate
        }
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        let text = message.text ?? ""
        Recorder.shared.record(room.name, "message \(connection.id) \(text)")
        if text == "block" {
            await Self.gate(room.name).wait()
        }
        connection.send(text: "done:\(text)")
    }

    func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws {
        Recorder.shared.record(room.name, "close \(connection.id) \(code) \(reason) \(wasClean)")
    }
}

/// A room that hibernates one second after its last event and records every wake and close.
actor SleepyRoom: Server {
    static let options = ServerOptions(hibernate: true, hibernateAfter: .seconds(1))
    let room: Room

    init(room: Room) {
        self.room = room
        Recorder.shared.record(room.name, "init")
    }

    func onMessage(_ connection: Connection, _ message: Message) async throws {
        connection.send(text: "awake:\(message.text ?? "")")
    }

    func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws {
        Recorder.shared.record(room.name, "close \(connection.id) \(code) \(reason) \(wasClean)")
    }
}

/// Starts a test server with the probe rooms and the limit test rooms registered.
func withLimitServer<T: Sendable>(
    configuration: PartyConfiguration = PartyConfiguration(),
    _ body: (PartyTestServer) async throws -> T
) async throws -> T {
    try await PartyTestServer.withServer(configuration: configuration, { app in
        try app.register(Probe.self)
        try app.register(GatedStart.self)
        try app.register(SlowRoom.self)
        try app.register(SleepyRoom.self)
    }, body)
}

extension PartyTestServer {
    /// The running server's admission counts.
    var admission: Admission {
        get throws { try #require(application.registry).services.admission }
    }

    /// The running server's liveness sweeper.
    var liveness: LivenessSweeper {
        get throws { try #require(application.registry).services.liveness }
    }

    /// Moves `clock` (the connection clock) to the sweeper's next pass and waits until it ran;
    /// returns the connection clock's time of that pass.
    @discardableResult
    func sweep(_ clock: ManualClock) async throws -> Date {
        let liveness = try self.liveness
        let before = liveness.sweeps
        let due = liveness.nextSweep
        clock.advance(to: due)
        try await waitUntil("sweep \(before + 1) ran") { liveness.sweeps > before }
        return due
    }

    /// Sweeps until `condition` holds, at most `limit` passes; returns how many passes it took.
    @discardableResult
    func sweep(_ clock: ManualClock, until what: String, limit: Int = 100, _ condition: () async throws -> Bool) async throws -> Int {
        for pass in 0..<limit {
            if try await condition() { return pass }
            try await sweep(clock)
        }
        if try await condition() { return limit }
        throw ConditionTimedOut(condition: what, timeout: .zero, lastObservation: "still false after \(limit) sweeps")
    }

    /// One pass; if it pinged, waits for the ping to reach `socket` (the only connection that can
    /// have been pinged) and for the server to read its pong, so time never outruns a healthy
    /// peer. Returns whether it pinged.
    @discardableResult
    func sweep(_ clock: ManualClock, answeredBy socket: TestWebSocket) async throws -> Bool {
        try await sweep(clock)
        guard try liveness.lastPassPings > 0 else { return false }
        try await waitUntil("the ping reached the client") { socket.drainEvents().contains { $0.isPing } }
        try await waitForSignsOfLife()
        return true
    }

    /// Waits until the server has seen a sign of life (a frame) from at least `count` connections
    /// since its last pass, e.g. the pong answering a ping, before time moves on.
    func waitForSignsOfLife(_ count: Int = 1) async throws {
        let liveness = try self.liveness
        try await waitUntil("\(count) connections showed a sign of life") { liveness.activeCount >= count }
    }

    /// Waits until the admission counts of connections and rooms are back to zero connections.
    func waitForNoConnections() async throws {
        let admission = try self.admission
        try await waitUntil("every connection released") {
            let counts = admission.counts
            return counts.connections == 0 && counts.roomConnections.isEmpty
        }
    }
}

/// A WebSocket client on raw TCP that completes the upgrade and then never answers anything: a
/// browser tab whose machine went to sleep, as the server sees it.
final class SilentPeer: Sendable {
    /// The client's end of the connection.
    let channel: any Channel
    private let received: Received

    private init(channel: any Channel, received: Received) {
        self.channel = channel
        self.received = received
    }

    deinit { channel.close(promise: nil) }

    /// Connects to `path` and waits for the 101 answer.
    static func connect(port: Int, path: String) async throws -> SilentPeer {
        let received = Received()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let peer = SilentPeer(channel: channel, received: received)
        try await waitUntil("the upgrade was answered") { received.text.contains("\r\n\r\n") }
        try #require(received.text.hasPrefix("HTTP/1.1 101"), "upgrade refused: \(received.text)")
        return peer
    }

    /// Whether the server closed the connection.
    var isClosed: Bool { received.closed }

    /// Number of ping frames (`0x89`) received after the handshake (each is two bytes, empty payload).
    var pings: Int {
        let bytes = received.bytes
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else { return 0 }
        return bytes[end...].count(where: { $0 == 0x89 })
    }

    final class Received: Sendable {
        private let state = Mutex<(bytes: [UInt8], closed: Bool)>(([], false))
        var bytes: [UInt8] { state.withLock { $0.bytes } }
        var text: String { String(decoding: bytes, as: UTF8.self) }
        var closed: Bool { state.withLock { $0.closed } }
        func append(_ buffer: ByteBuffer) { state.withLock { $0.bytes += buffer.readableBytesView } }
        func markClosed() { state.withLock { $0.closed = true } }
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: Received
        init(received: Received) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received.append(unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            received.markClosed()
            context.fireChannelInactive()
        }
    }
}

extension TestWebSocket.Event {
    /// Whether the event is a ping from the server.
    var isPing: Bool {
        if case .ping = self { return true }
        return false
    }
}
