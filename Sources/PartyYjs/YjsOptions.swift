/// Settings of a `YServer` type: when stored updates are compacted and how `onSave` is debounced.
public struct YjsOptions: Sendable {
    /// Stored updates are merged into one document snapshot once there are more than this many
    /// since the last compaction. Default 500.
    public var compactAfterUpdates: Int
    /// ... or once they take more than this many bytes. Default 1 MiB.
    public var compactAfterBytes: Int
    /// `onSave` runs this long after the last change... Default 2 s (y-partyserver's
    /// `debounceWait`).
    public var saveDebounce: Duration
    /// ... but no later than this long after the first unsaved change. Default 10 s
    /// (y-partyserver's `debounceMaxWait`).
    public var saveMaxWait: Duration
    /// The largest stored value a document snapshot is split into. Default 1 MiB (below
    /// `StorageConfiguration.maxValueBytes`).
    public var snapshotChunkBytes: Int

    /// Creates options; every argument has its documented default.
    public init(
        compactAfterUpdates: Int = 500,
        compactAfterBytes: Int = 1 << 20,
        saveDebounce: Duration = .seconds(2),
        saveMaxWait: Duration = .seconds(10),
        snapshotChunkBytes: Int = 1 << 20
    ) {
        self.compactAfterUpdates = compactAfterUpdates
        self.compactAfterBytes = compactAfterBytes
        self.saveDebounce = saveDebounce
        self.saveMaxWait = saveMaxWait
        self.snapshotChunkBytes = snapshotChunkBytes
    }
}
