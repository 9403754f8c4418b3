import Foundation
import PartyServer
import PartyYjs
import Synchronization

/// A Yjs test room (`ynotes`): compacts every 5 updates, in snapshot chunks of 1 KiB, seeds empty documents from
/// `YjsNotes.seeds`, records `onSave`, treats `?mode=view` connections as read-only and answers
/// custom messages (`ping` → `pong` to the sender, anything else to everyone but the sender).
actor YjsNotes: YServer {
    static let routeName = "ynotes"
    static var options: ServerOptions { ServerOptions(hibernate: true, hibernateAfter: .seconds(10)) }
    static var yjsOptions: YjsOptions { YjsOptions(compactAfterUpdates: 5, compactAfterBytes: 1 << 20, saveDebounce: .seconds(2), saveMaxWait: .seconds(10), snapshotChunkBytes: 1024) }

    /// First content by room name, for `onLoad`.
    static let seeds = Mutex<[String: [UInt8]]>([:])
    /// What `onSave` received, by room name.
    static let saves = Mutex<[String: [[UInt8]]]>([:])

    let room: Room
    var yjs = YjsState()

    init(room: Room) { self.room = room }

    func onLoad() async throws -> [UInt8]? {
        Self.seeds.withLock { $0[room.name] }
    }

    func onSave(_ update: [UInt8]) async throws {
        let name = room.name
        Self.saves.withLock { $0[name, default: []].append(update) }
    }

    func isReadOnly(_ connection: Connection) async -> Bool {
        connection.uri.contains("mode=view")
    }

    func onCustomMessage(_ connection: Connection, _ message: String) async throws {
        if message == "ping" {
            sendCustomMessage(connection, "pong")
        } else {
            broadcastCustomMessage(message, excluding: connection)
        }
    }

    func onRequest(_ request: Request) async throws -> Response {
        try await yjsDocumentResponse(request)
    }
}

/// Hand-made y-websocket messages and updates for protocol tests.
enum YjsWire {
    /// A varuint.
    static func varUInt(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
        return out
    }

    /// A length-prefixed string.
    static func string(_ text: String) -> [UInt8] {
        varUInt(UInt64(text.utf8.count)) + Array(text.utf8)
    }

    /// An update in which `client` inserts `text` at clock `clock`: at the start of the root
    /// text `text` when `clock` is 0, else after its own previous character.
    static func insert(_ text: String, client: UInt64, clock: UInt64 = 0) -> [UInt8] {
        var out: [UInt8] = [1, 1] + varUInt(client) + varUInt(clock)
        if clock == 0 {
            out += [4, 1] + string("text")
        } else {
            out += [0x84] + varUInt(client) + varUInt(clock - 1)
        }
        return out + string(text) + [0]
    }

    /// An update in which `client` inserts `text` (at clock 0 of its own) right after another
    /// client's character (`originClient`, `originClock`).
    static func insertAfter(_ text: String, client: UInt64, originClient: UInt64, originClock: UInt64) -> [UInt8] {
        [1, 1] + varUInt(client) + [0, 0x84] + varUInt(originClient) + varUInt(originClock) + string(text) + [0]
    }

    /// A sync message of `sub` type carrying `payload`.
    static func sync(_ sub: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0, sub] + varUInt(UInt64(payload.count)) + payload
    }

    /// An awareness message with one client's entry.
    static func awareness(client: UInt64, clock: UInt64, state: String) -> [UInt8] {
        let payload = [1] + varUInt(client) + varUInt(clock) + string(state)
        return [1] + varUInt(UInt64(payload.count)) + payload
    }

    /// The empty state vector's step 1, as the server sends it for an empty document.
    static let emptyStep1: [UInt8] = [0, 0, 1, 0]
}
