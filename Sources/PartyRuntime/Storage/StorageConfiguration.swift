/// Limits and durability of room storage.
public struct StorageConfiguration: Sendable {
    /// Largest key, in UTF-8 bytes. Default 2,048 (the Durable Objects limit).
    public var maxKeyBytes: Int
    /// Largest value, in encoded bytes (JSON, or the bytes of a `Data` value). Default 2 MiB.
    public var maxValueBytes: Int
    /// What a returned write survives. Default `.full`: power loss.
    public var durability: StorageDurability
    /// Cap on the database size in bytes, or `nil` for no cap (the default). Writes that would
    /// grow the database past it fail with `StorageError.full`, as on a full disk.
    public var maxDatabaseBytes: Int?
    /// Name of the database file inside the data directory. Default `rooms.sqlite`.
    public var fileName: String

    /// Creates a configuration; every argument has its documented default.
    public init(
        maxKeyBytes: Int = 2048,
        maxValueBytes: Int = 2 * 1024 * 1024,
        durability: StorageDurability = .full,
        maxDatabaseBytes: Int? = nil,
        fileName: String = "rooms.sqlite"
    ) {
        self.maxKeyBytes = maxKeyBytes
        self.maxValueBytes = maxValueBytes
        self.durability = durability
        self.maxDatabaseBytes = maxDatabaseBytes
        self.fileName = fileName
    }
}

/// What a write that has returned is guaranteed to survive.
public enum StorageDurability: Sendable, Equatable {
    /// `PRAGMA synchronous=FULL`: every commit is fsynced; survives power loss and OS crashes.
    case full
    /// `PRAGMA synchronous=NORMAL` in WAL mode: survives a process crash or `kill -9`, but the
    /// last commits may be lost on power loss. Faster, as commits are not fsynced.
    case normal

    /// The value of `PRAGMA synchronous` for this durability.
    var synchronousPragma: String {
        switch self {
        case .full: "FULL"
        case .normal: "NORMAL"
        }
    }
}
