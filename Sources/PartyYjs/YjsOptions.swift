/// Settings of a `YServer` type: when stored updates are compacted and how `onSave` is debounced.
public struct YjsOptions: Sendable {
    /// Stored updates are merged into one document snapshot once there are more than this many
    /// since the last compaction... Default 500.
    public var compactAfterUpdates: Int
    /// ... or once they take more than this many bytes. Default 1 MiB. Either way, a snapshot is
    /// rewritten only when the updates add up to at least an eighth of its size (or number 20
    /// times `compactAfterUpdates`), so a large document is not copied for a few small edits.
    public var compactAfterBytes: Int
    /// `onSave` runs this long after the last change... Default 2 s (y-partyserver's
    /// `debounceWait`).
    public var saveDebounce: Duration
    /// ... but no later than this long after the first unsaved change. Default 10 s
    /// (y-partyserver's `debounceMaxWait`).
    public var saveMaxWait: Duration
    /// The most awareness client ids one connection may announce (a tab announces one); more
    /// closes the connection with 1008. Default 16.
    public var maxAwarenessClientsPerConnection: Int
    /// The largest stored value a document snapshot is split into. Default 1 MiB (below
    /// `StorageConfiguration.maxValueBytes`).
    public var snapshotChunkBytes: Int

    /// Creates options; every argument has its documented default.
    public init(
        compactAfterUpdates: Int = 500,
        compactAfterBytes: Int = 1 << 20,
        saveDebounce: Duration = .seconds(2),
        saveMaxWait: Duration = .seconds(10),
        snapshotChunkBytes: Int = 1 << 20,
        maxAwarenessClientsPerConnection: Int = 16
    ) {
        self.compactAfterUpdates = compactAfterUpdates
        self.compactAfterBytes = compactAfterBytes
        self.saveDebounce = saveDebounce
        self.saveMaxWait = saveMaxWait
        self.snapshotChunkBytes = snapshotChunkBytes
        self.maxAwarenessClientsPerConnection = maxAwarenessClientsPerConnection
    }

    /// Whether `updates` stored updates of `bytes` in all, after a snapshot of `snapshotBytes`,
    /// are due to be compacted.
    public func shouldCompact(updates: Int, bytes: Int, snapshotBytes: Int) -> Bool {
        guard updates > compactAfterUpdates || bytes > compactAfterBytes else { return false }
        return bytes >= snapshotBytes / 8 || updates / 20 > compactAfterUpdates
    }
}
