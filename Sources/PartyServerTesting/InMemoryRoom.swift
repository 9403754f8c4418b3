import Foundation
import Logging
import PartyRuntime

/// A room driven in memory, without sockets: the same hooks, in the same order, as over a
/// WebSocket, for fast unit tests of your server types and for benchmarks.
///
/// ```swift
/// let room = InMemoryRoom(Chat.self, name: "lobby")
/// let alice = await room.connect(id: "alice")
/// let bob = await room.connect(id: "bob")
/// await alice.send(text: "hi")
/// #expect(bob.received().map(\.text) == ["hi"])
/// ```
public final class InMemoryRoom: Sendable {
    /// The room handle the instance was given.
    public var room: Room { slot.room }

    private let slot: RoomSlot
    private let limits: ConnectionLimits
    private let registry: RoomRegistry

    /// Creates a room of server type `type`; nothing starts until the first connection or request.
    public init<S: Server>(
        _ type: S.Type,
        name: String = "test",
        routeName: String? = nil,
        limits: ConnectionLimits = ConnectionLimits(),
        logger: Logger = Logger(label: "partyserver.in-memory")
    ) {
        let registration = ServerRegistration(type, routeName: routeName ?? RouteName.kebabCase(String(describing: type)))
        let services = RoomServices.inMemory(routeNames: [registration.routeName], logger: logger)
        self.registry = RoomRegistry(registrations: [registration], services: services, logger: logger)
        self.slot = registry.checkOut(registration, name: name)
        self.limits = limits
    }

    /// The live instance, started (`init`, `onStart`) if needed.
    public func instance() async throws -> any Server {
        let hold = try await slot.acquire()
        slot.release(hold)
        return hold.instance
    }

    /// Hibernates the room now (snapshot, then release the actor) if no hook is running; the
    /// next event wakes it. Returns whether it hibernated.
    @discardableResult
    public func hibernate() async -> Bool {
        await slot.hibernateNow()
    }

    /// Whether the room is hibernated.
    public var isHibernated: Bool { slot.isHibernated }

    /// Connects a client: wakes the room, runs `getConnectionTags` and `onConnect`.
    public func connect(id: String = UUID().uuidString, request: Request? = nil) async -> InMemoryClient {
        let request = request ?? Request(uri: "/parties/\(room.server)/\(room.name)?_pk=\(id)", query: [("_pk", id)])
        let connection = Connection(id: id, uri: request.uri, room: room, user: request.user, limits: limits, transport: InMemoryTransport())
        let driver = ConnectionDriver(slot: slot, connection: connection)
        let registered = await driver.open(ConnectionContext(request: request))
        await room.outputReleased()
        return InMemoryClient(driver: driver, isRegistered: registered)
    }

    /// Sends an HTTP request to the room's `onRequest` (the static before-hook is not run).
    public func request(_ request: Request) async throws -> Response {
        let hold = try await slot.acquire()
        let response: Response
        do {
            response = try await hold.instance.onRequest(request)
        } catch {
            slot.release(hold)
            throw error
        }
        // Like the HTTP front: the response waits until the writes made before it are durable.
        let barrier = room.gate.barrier
        slot.release(hold)
        if let failure = await room.storage.waitDurable(barrier) { throw failure }
        return response
    }
}

/// One client of an `InMemoryRoom`: sends messages through the room's hooks and collects what
/// the room sent it.
public final class InMemoryClient: Sendable {
    /// The room's side of this client.
    public var connection: Connection { driver.connection }
    /// Whether the room accepted the connection (tags valid, room started).
    public let isRegistered: Bool

    private let driver: ConnectionDriver

    init(driver: ConnectionDriver, isRegistered: Bool) {
        self.driver = driver
        self.isRegistered = isRegistered
    }

    /// Delivers `message` to the room's `onMessage`; returns when the hook has finished and
    /// what it sent is released (its writes are durable, or failed).
    public func send(_ message: Message) async {
        await driver.deliver(message)
        await connection.room.outputReleased()
    }

    /// Delivers a text message, like `send(_:)`.
    public func send(text: String) async {
        await send(.text(text))
    }

    /// The messages the room sent this client since the last call.
    public func received() -> [Message] {
        connection.drainQueuedMessages()
    }

    /// Drops what the room sent this client since the last call; returns how many frames there were.
    @discardableResult
    public func discardReceived() -> Int {
        connection.discardQueued()
    }

    /// Closes the client the way a clean close handshake would, running `onClose`.
    public func close(code: Int = 1000, reason: String = "") async {
        guard isRegistered else { return }
        await driver.close(code: code, reason: reason, wasClean: true)
        await connection.room.outputReleased()
        connection.markClosed()
    }
}

extension Room {
    /// Waits until the output the room holds now is released: the writes it waits for are
    /// durable, or failed (and the output was dropped).
    func outputReleased() async {
        _ = await storage.waitDurable(gate.barrier)
    }
}

/// A transport with nothing to carry: in memory, frames stay in the connection's queue.
final class InMemoryTransport: ConnectionTransport {
    func connectionDidStartClosing(urgent: OutboundFrame?) {}
    func outputReady() {}
}
