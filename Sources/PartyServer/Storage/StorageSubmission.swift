import Foundation
import GRDB

/// One write of one room: operations applied in order, atomically, within one group commit.
struct StorageSubmission: Sendable {
    /// The server's route name as UTF-8 bytes.
    let server: Data
    /// The room name as UTF-8 bytes.
    let room: Data
    /// What to do, in order.
    var operations: [StorageOperation]

    /// Runs the operations on `db`, in order; returns how many of the deleted keys existed.
    func apply(to db: Database) throws -> Int {
        var deleted = 0
        for operation in operations {
            switch operation {
            case .put(let key, let value, let encoding):
                try db.cachedStatement(sql: StorageSchema.putValue)
                    .execute(arguments: [server, room, key, value, encoding.rawValue])
            case .delete(let key):
                try db.cachedStatement(sql: StorageSchema.deleteValue).execute(arguments: [server, room, key])
                deleted += db.changesCount
            case .deleteAll:
                try db.cachedStatement(sql: StorageSchema.deleteAllValues).execute(arguments: [server, room])
            case .putSnapshot(let data):
                try db.cachedStatement(sql: StorageSchema.putSnapshot).execute(arguments: [server, room, data])
            case .deleteSnapshot:
                try db.cachedStatement(sql: StorageSchema.deleteSnapshot).execute(arguments: [server, room])
            case .putAlarm(let atMilliseconds, let retryCount):
                try db.cachedStatement(sql: StorageSchema.putAlarm)
                    .execute(arguments: [server, room, atMilliseconds, retryCount])
            case .deleteAlarm:
                try db.cachedStatement(sql: StorageSchema.deleteAlarm).execute(arguments: [server, room])
            case .putControlRecord(let record):
                try db.cachedStatement(sql: StorageSchema.putControlRecord).execute(arguments: [server, room, record])
            case .deleteControlRecord:
                try db.cachedStatement(sql: StorageSchema.deleteControlRecord).execute(arguments: [server, room])
            }
        }
        return deleted
    }
}

/// One change within a ``StorageSubmission``.
enum StorageOperation: Sendable {
    /// Inserts or replaces a key's value (key and value as stored bytes).
    case put(key: Data, value: Data, encoding: StoredEncoding)
    /// Removes a key; counts towards the submission's result when it existed.
    case delete(key: Data)
    /// Removes every key of the room (not its snapshot, not its alarm).
    case deleteAll
    /// Inserts or replaces the room's snapshot.
    case putSnapshot(Data)
    /// Removes the room's snapshot.
    case deleteSnapshot
    /// Inserts or replaces the room's alarm.
    case putAlarm(atMilliseconds: Int64, retryCount: Int)
    /// Removes the room's alarm.
    case deleteAlarm
    /// Inserts or replaces the room's control record (an encoded `StoredRoomRecord`).
    case putControlRecord(Data)
    /// Removes the room's control record.
    case deleteControlRecord
}
