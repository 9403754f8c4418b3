import Foundation
import GRDB

/// One write of one room: operations applied in order, atomically, within one group commit.
package struct StorageSubmission: Sendable {
    /// The server's route name as UTF-8 bytes.
    package let server: Data
    /// The room name as UTF-8 bytes.
    package let room: Data
    /// What to do, in order.
    package var operations: [StorageOperation]
    /// The room write buffer the submission belongs to, if any: it is skipped once a failed
    /// write has reset that room, and fails when an earlier one of the same owner failed in its round.
    package var owner: SubmissionOwner?

    package init(server: Data, room: Data, operations: [StorageOperation], owner: SubmissionOwner? = nil) {
        self.server = server
        self.room = room
        self.operations = operations
        self.owner = owner
    }

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
            case .putControlRecord(let record, _, _):
                try db.cachedStatement(sql: StorageSchema.putControlRecord).execute(arguments: [server, room, record])
            case .deleteControlRecord:
                try db.cachedStatement(sql: StorageSchema.deleteControlRecord).execute(arguments: [server, room])
            }
        }
        return deleted
    }
}

/// The room write buffer a submission came from, and the buffer's epoch when it was sealed.
package struct SubmissionOwner: Sendable {
    let buffer: RoomWriteBuffer
    let epoch: UInt64

    /// Whether no failed write reset the room since the submission was sealed.
    package var isCurrent: Bool { buffer.isCurrent(epoch) }

    /// Identifies the buffer within a commit round.
    package var id: ObjectIdentifier { ObjectIdentifier(buffer) }
}

/// One change within a ``StorageSubmission``.
package enum StorageOperation: Sendable {
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
    /// Inserts or replaces the room's control record (an encoded `StoredRoomRecord`) of
    /// `activation`. `heldKey` is the key its live activation holds: on several nodes the
    /// database keeps keys unique per server type, and a key another room holds fails the write
    /// with ``StorageError/keyTaken(_:)``.
    case putControlRecord(Data, activation: UInt64 = 0, heldKey: String? = nil)
    /// Removes the room's control record; with `activation`, only while it records that activation.
    case deleteControlRecord(activation: UInt64?)
}
