import Foundation

/// The writes one event of a room made (or a write outside events), committed together: the last
/// value per key, a `deleteAll` before them if one was made, and the room's alarm.
struct RoomWriteBatch: Sendable {
    /// One write as the room made it.
    enum Change: Sendable {
        /// Store a value (stored bytes) under a key (its UTF-8 bytes).
        case put(Data, StoredValue)
        /// Remove a key.
        case delete(Data)
        /// Remove every key of the room (not its alarm or snapshot).
        case deleteAll
        /// Set or delete the room's alarm.
        case alarm(AlarmWrite)
    }

    /// The batch's number in its room, from 1.
    let batch: UInt64
    private var writes: [Data: StoredValue?] = [:]
    private var clearsAll = false
    private var alarm: AlarmWrite?

    init(batch: UInt64) {
        self.batch = batch
    }

    /// Adds a change; a later write of the same key replaces an earlier one.
    mutating func record(_ change: Change) {
        switch change {
        case .put(let key, let value): writes[key] = .some(value)
        case .delete(let key): writes[key] = .some(nil)
        case .deleteAll:
            writes.removeAll()
            clearsAll = true
        case .alarm(let write): alarm = write
        }
    }

    /// The operations to commit, in an order that gives the batch's result.
    var operations: [StorageOperation] {
        var operations: [StorageOperation] = []
        operations.reserveCapacity(writes.count + (clearsAll ? 1 : 0) + (alarm == nil ? 0 : 1))
        if clearsAll { operations.append(.deleteAll) }
        for (key, value) in writes {
            if let value {
                operations.append(.put(key: key, value: value.data, encoding: StoredEncoding(rawValue: value.encoding) ?? .json))
            } else if !clearsAll {
                operations.append(.delete(key: key))
            }
        }
        switch alarm {
        case .set(let milliseconds, let retryCount)?: operations.append(.putAlarm(atMilliseconds: milliseconds, retryCount: retryCount))
        case .delete?: operations.append(.deleteAlarm)
        case nil: break
        }
        return operations
    }
}

/// A change to a room's stored alarm.
enum AlarmWrite: Sendable {
    /// The alarm is due at this time (milliseconds since 1970), after this many failed runs.
    case set(atMilliseconds: Int64, retryCount: Int)
    /// The room has no alarm.
    case delete
}
