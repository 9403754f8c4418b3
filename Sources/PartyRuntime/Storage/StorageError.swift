/// Why a storage operation failed; each description says what to do.
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A key is longer than `StorageConfiguration.maxKeyBytes` (in UTF-8 bytes).
    case keyTooLarge(bytes: Int, limit: Int)
    /// A value encodes to more than `StorageConfiguration.maxValueBytes`.
    case valueTooLarge(key: String, bytes: Int, limit: Int)
    /// A value could not be encoded to JSON.
    case encodingFailed(key: String, description: String)
    /// A stored value could not be decoded as the requested type.
    case decodingFailed(key: String, description: String)
    /// The database or the disk is full; nothing from the failed write was stored.
    case full
    /// SQLite reported an error while reading or writing.
    case ioFailed(String)
    /// The storage was closed (the server is shutting down).
    case closed
    /// The database could not be opened.
    case openFailed(path: String, description: String)
    /// A transaction was used after it was rolled back or after its body returned.
    case transactionEnded
    /// An earlier write of the room failed (the associated text says why), so the room was
    /// reset: its writes that were not yet durable were discarded with its instance, and storage
    /// calls of that instance fail. The next event starts a new instance from stored state.
    case roomReset(String)
    /// This node no longer holds the room's lease (several nodes on one database): another node
    /// took the room over, or the lease could not be renewed in time. Nothing was stored; the
    /// room stops here and its next event goes to the node that owns it.
    case fenced(String)
    /// Another room already holds this control key (several nodes on one database): nothing was
    /// stored; look the key up again to reach that room.
    case keyTaken(String)

    /// A sentence that says what happened and what to do.
    public var description: String {
        switch self {
        case .keyTooLarge(let bytes, let limit):
            "key is \(bytes) bytes, over the \(limit)-byte limit; use shorter keys (the limit counts UTF-8 bytes)"
        case .valueTooLarge(let key, let bytes, let limit):
            "value for key \(Self.shortened(key)) encodes to \(bytes) bytes, over the \(limit)-byte limit; split it over several keys or raise maxValueBytes"
        case .encodingFailed(let key, let description):
            "value for key \(Self.shortened(key)) could not be encoded to JSON: \(description)"
        case .decodingFailed(let key, let description):
            "value for key \(Self.shortened(key)) could not be decoded as the requested type: \(description); read it with the type it was written with"
        case .full:
            "database or disk full: free disk space or raise maxDatabaseBytes; nothing from this write was stored"
        case .ioFailed(let description):
            "storage failed: \(description); check the data directory's disk and permissions"
        case .closed:
            "storage is closed (the server is shutting down)"
        case .openFailed(let path, let description):
            "could not open the database at \(path.debugDescription): \(description); check that the directory is writable and the file is an SQLite database"
        case .transactionEnded:
            "the transaction was rolled back or has ended; start a new transaction"
        case .roomReset(let cause):
            "the room was reset after a failed write (\(cause)); nothing from this call was stored, and the room starts again from its stored state with its next event"
        case .fenced(let cause):
            "this node no longer owns the room (\(cause)); nothing from this call was stored, and the room's next event goes to its owner"
        case .keyTaken(let key):
            "another room already holds the key \(key.debugDescription); nothing was stored: look the key up again to reach that room"
        }
    }

    private static func shortened(_ key: String) -> String {
        key.count > 40 ? "\(key.prefix(40).debugDescription)…" : key.debugDescription
    }
}
