import Foundation
import PartyRuntime
import PostgresNIO

extension PostgresStorageBackend {
    /// The stored control record of one room, if any: the node that takes a room over reads it to
    /// go on with the room's activations, statuses and key.
    package func controlRecord(server: String, room: String) async throws(StorageError) -> Data? {
        let rows = try await read("SELECT record FROM party_control_rooms WHERE server = \(server) AND room = \(room)")
        return try rows.first.map { row throws(StorageError) in Self.data(try Self.decode(row, ByteBuffer.self)) }
    }

    /// The room whose live activation holds `key` among rooms of `server`, on any node.
    package func room(holding key: String, server: String) async throws(StorageError) -> String? {
        let rows = try await read("SELECT room FROM party_control_rooms WHERE server = \(server) AND held_key = \(key)")
        return try rows.first.map { row throws(StorageError) in try Self.decode(row, String.self) }
    }
}
