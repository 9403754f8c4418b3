/// What a TinyBase room keeps in memory: hold one as `var tinybase = TinyBaseState()` in your
/// `TinyBaseServer` actor. The store is loaded from storage when the room starts.
public struct TinyBaseState: Sendable {
    /// The server's store and its synchronizer (client "S").
    var peer = TinyBaseSynchronizerPeer(store: TinyBaseMergeableStore(uniqueId: ""))
    /// Whether `tinybaseStart()` ran for this activation.
    var started = false
    /// How many chunks the stored snapshot has.
    var snapshotChunks = 0
    /// The peer's revision when the store was last written.
    var storedRevision = 0
    /// Split messages being put back together, by connection id.
    var buffers: [String: TinyBaseReassemblyBuffer] = [:]

    /// An empty state; `tinybaseStart()` fills it.
    public init() {}

    /// The server's copy of the store.
    public var store: TinyBaseMergeableStore { peer.store }
}
