import Foundation
import HTTPTypes
import PartyRuntime
import PartyServer

/// A server type that holds a TinyBase MergeableStore per room and speaks the protocol of
/// TinyBase's `WsServer` (legacy mode) to `WsSynchronizer` clients: it relays their messages
/// between them by the client id on each frame's first line, and its own store takes part in the
/// sync as client "S", so a client that connects when nobody else is online still gets the data.
///
/// ```swift
/// actor Todos: TinyBaseServer {
///     let room: Room
///     var tinybase = TinyBaseState()
///     init(room: Room) { self.room = room }
/// }
/// ```
///
/// The store is in the room's storage before any client hears of a change it took part in. The
/// hooks `onStart`, `getConnectionTags`, `onMessage` and `onClose` have TinyBase defaults; a type
/// that overrides one calls `tinybaseStart()`, `tinybaseClientTags(_:_:)`, `tinybaseReceive(_:_:)`
/// or `tinybaseClose(_:)` from it.
public protocol TinyBaseServer: Server {
    /// The room this instance serves.
    var room: Room { get }
    /// The room's store and sync state (`TinyBaseState()`).
    var tinybase: TinyBaseState { get set }
    /// Timeouts and limits. Default `TinyBaseOptions()`.
    static var tinybaseOptions: TinyBaseOptions { get }
}

extension TinyBaseServer {
    /// `TinyBaseOptions()`.
    public static var tinybaseOptions: TinyBaseOptions { TinyBaseOptions() }

    /// Loads the store (`tinybaseStart()`).
    public func onStart() async throws { try await tinybaseStart() }

    /// Tags the connection with its TinyBase client id (`tinybaseClientTags(_:_:)`).
    public func getConnectionTags(_ connection: Connection, _ context: ConnectionContext) async throws -> [String] {
        tinybaseClientTags(connection, context)
    }

    /// Routes a TinyBase frame (`tinybaseReceive(_:_:)`).
    public func onMessage(_ connection: Connection, _ message: Message) async throws { try await tinybaseReceive(connection, message) }

    /// Forgets the connection's split messages (`tinybaseClose(_:)`).
    public func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws { tinybaseClose(connection) }

    /// `GET`: the store's content as JSON, `{"tables": {...}, "values": {...}}`.
    public func onRequest(_ request: Request) async throws -> Response {
        try await tinybaseContentResponse(request)
    }

    /// The current time in milliseconds since 1970, from the room's clock.
    var nowMilliseconds: Int64 { Int64((room.now.timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Loads the stored store (or starts an empty one) and starts its synchronizer. Call it from
    /// `onStart` when you override it.
    public func tinybaseStart() async throws {
        guard !tinybase.started else { return }
        let storage = TinyBaseStorage(storage: room.storage)
        let uniqueId = try await storage.uniqueId()
        let now = nowMilliseconds
        var store = TinyBaseMergeableStore(uniqueId: uniqueId)
        if let stored = try await storage.load() {
            store = try TinyBaseMergeableStore(decoding: stored.content, uniqueId: uniqueId, now: now)
            tinybase.snapshotChunks = stored.chunks
        }
        var peer = TinyBaseSynchronizerPeer(store: store, requestTimeout: Self.tinybaseOptions.requestTimeoutMilliseconds)
        tinybase.storedRevision = peer.revision
        // Its opening requests are not sent: on a first start nobody is connected yet, and
        // clients connected through a hibernation are in sync. Clients start the sync themselves
        // when they connect (GetContentHashes and ContentHashes to everyone, the store included).
        _ = peer.start(now: now)
        tinybase.peer = peer
        tinybase.started = true
    }

    /// The tags that route frames to this connection: its client id, the upgrade's
    /// `Sec-WebSocket-Key` as TinyBase's server takes it (the connection id when that is missing
    /// or taken).
    public func tinybaseClientTags(_ connection: Connection, _ context: ConnectionContext) -> [String] {
        let key = HTTPField.Name("Sec-WebSocket-Key").flatMap { context.request.headers[$0] } ?? ""
        let taken = key.isEmpty || key == TinyBaseFrame.serverClientId || !room.connections(tagged: key).isEmpty
        return [taken ? connection.id : key]
    }

    /// The client id of `connection`: its tag after the connection id.
    func clientId(_ connection: Connection) -> String {
        let tags = connection.tags
        return tags.count > 1 ? tags[1] : connection.id
    }

    /// Forgets the split messages of a closed connection. Call it from `onClose` when you
    /// override it.
    public func tinybaseClose(_ connection: Connection) {
        tinybase.buffers[connection.id] = nil
    }

    /// Answers `GET` with the store's content as JSON, `{"tables": {...}, "values": {...}}`, and
    /// anything else with 405.
    public func tinybaseContentResponse(_ request: Request) async throws -> Response {
        try await tinybaseStart()
        guard request.method == .get else {
            var response = Response.error(.methodNotAllowed, "only GET reads the store")
            response.headers[.allow] = "GET"
            return response
        }
        let content = tinybase.store.content
        return Response.json(TinyBaseContent(tables: content.tables, values: content.values))
    }
}

/// A store's content as plain JSON: tables of rows of cells, and values.
public struct TinyBaseContent: Codable, Sendable, Equatable {
    /// Cells by table, row and cell id.
    public var tables: [String: [String: [String: TinyBaseValue]]]
    /// Values by id.
    public var values: [String: TinyBaseValue]
}
