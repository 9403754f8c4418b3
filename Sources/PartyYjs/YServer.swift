import Foundation
import PartyRuntime
import PartyServer

/// A server type that holds a Yjs document per room and speaks the y-websocket protocol to
/// `y-websocket`, `y-partyserver` and `pycrdt-websocket` clients: sync steps and updates on
/// binary frames, awareness relayed to everyone, custom text messages prefixed `__YPS:`.
///
/// ```swift
/// actor Notes: YServer {
///     let room: Room
///     var yjs = YjsState()
///     init(room: Room) { self.room = room }
///
///     func isReadOnly(_ connection: Connection) async -> Bool {
///         connection.uri.contains("mode=view")
///     }
/// }
/// ```
///
/// Every update is in the room's storage before any other client sees it, and stored updates
/// are merged into one snapshot past `YjsOptions.compactAfterUpdates` or `compactAfterBytes`.
/// The hooks `onStart`, `onConnect`, `onMessage` and `onClose` have Yjs defaults; a type that
/// overrides one calls `yjsStart()`, `yjsConnect(_:)`, `yjsReceive(_:_:)` or `yjsClose(_:)`
/// from it. The connection's state holds its awareness: do not replace it.
public protocol YServer: Server {
    /// The room this instance serves.
    var room: Room { get }
    /// The room's document and awareness in memory (`YjsState()`).
    var yjs: YjsState { get set }
    /// Compaction and save settings. Default `YjsOptions()`.
    static var yjsOptions: YjsOptions { get }

    /// The document's first content when the room has none stored (seed it, or load it from
    /// another database), as an update; it is stored like any other. Default: none.
    func onLoad() async throws -> [UInt8]?

    /// The whole document as one update, some time after it changed (`YjsOptions.saveDebounce`,
    /// at most `saveMaxWait`), and when the last client leaves. For copies elsewhere: the room
    /// stores the document itself. Default: nothing.
    func onSave(_ update: [UInt8]) async throws

    /// Whether `connection` may only read: its updates are ignored. Asked once, on connect.
    /// Default `false`.
    func isReadOnly(_ connection: Connection) async -> Bool

    /// A text message `__YPS:<message>` from `connection` (y-partyserver's custom messages).
    /// Default: ignored.
    func onCustomMessage(_ connection: Connection, _ message: String) async throws
}

extension YServer {
    /// `YjsOptions()`.
    public static var yjsOptions: YjsOptions { YjsOptions() }

    /// No first content.
    public func onLoad() async throws -> [UInt8]? { nil }

    /// Does nothing.
    public func onSave(_ update: [UInt8]) async throws {}

    /// `false`.
    public func isReadOnly(_ connection: Connection) async -> Bool { false }

    /// Does nothing.
    public func onCustomMessage(_ connection: Connection, _ message: String) async throws {}

    /// Loads the document (`yjsStart()`).
    public func onStart() async throws { try await yjsStart() }

    /// Starts the client's sync (`yjsConnect(_:)`).
    public func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws { try await yjsConnect(connection) }

    /// Handles a y-websocket message (`yjsReceive(_:_:)`).
    public func onMessage(_ connection: Connection, _ message: Message) async throws { try await yjsReceive(connection, message) }

    /// Removes the client's awareness (`yjsClose(_:)`).
    public func onClose(_ connection: Connection, code: Int, reason: String, wasClean: Bool) async throws {
        try await yjsClose(connection)
    }

    /// The document as one update (format v1).
    public var documentUpdate: [UInt8] { yjs.document.encode() }

    /// Sends `__YPS:<message>` to `connection`.
    public func sendCustomMessage(_ connection: Connection, _ message: String) {
        connection.send(text: YServerConstants.customPrefix + message)
    }

    /// Sends `__YPS:<message>` to every connection but `excluding`.
    public func broadcastCustomMessage(_ message: String, excluding: Connection? = nil) {
        room.broadcast(text: YServerConstants.customPrefix + message, excluding: excluding.map { [$0.id] } ?? [])
    }

    /// Loads the stored document (or `onLoad`'s first content) and the awareness of connections
    /// that outlived a hibernation. Call it from `onStart` when you override it.
    public func yjsStart() async throws {
        guard !yjs.started else { return }
        let store = YDocumentStore(storage: room.storage)
        let stored = try await store.load()
        var document = YDocumentState()
        if let snapshot = stored.snapshot { try document.apply(snapshot) }
        for update in stored.updates { try document.apply(update) }
        yjs.document = document
        yjs.snapshotChunks = stored.snapshotChunks
        yjs.snapshotBytes = stored.snapshot?.count ?? 0
        yjs.storedUpdates = stored.updateSequences
        yjs.storedBytes = stored.updates.reduce(0) { $0 + $1.count }
        yjs.nextSequence = stored.updateSequences.upperBound
        for connection in room.connections() {
            if let state = connection.state(as: YConnectionState.self), !state.awareness.isEmpty {
                yjs.awareness[connection.id] = state.awareness
            }
        }
        yjs.started = true
        if stored.isEmpty, let first = try await onLoad() {
            try await yjsApply(first, from: nil)
        }
    }
}

/// Constants of the y-partyserver conventions.
enum YServerConstants {
    /// The prefix of custom text messages.
    static let customPrefix = "__YPS:"
}
