import Foundation

/// What a Yjs room keeps in memory: hold one as `var yjs = YjsState()` in your `YServer` actor.
/// It is rebuilt from storage (the document) and the connections (awareness) when the room
/// starts.
public struct YjsState: Sendable {
    /// The document, merged from every stored update.
    public internal(set) var document = YDocumentState()
    /// Whether `yjsStart()` ran for this activation.
    var started = false
    /// The sequence number the next stored update gets.
    var nextSequence: UInt64 = 0
    /// The sequence numbers of the updates stored since the last compaction.
    var storedUpdates: Range<UInt64> = 0..<0
    /// Their size in bytes.
    var storedBytes = 0
    /// How many chunks the stored snapshot has, and its size.
    var snapshotChunks = 0
    var snapshotBytes = 0
    /// The awareness each connection announced, by connection id.
    var awareness: [String: [UInt64: YAwareness.Entry]] = [:]
    /// Changes not yet handed to `onSave`: when the first and the last came.
    var unsavedSince: Date?
    var lastChange: Date?
    /// Whether a save timer runs.
    var saveTimerRunning = false

    /// An empty state; `yjsStart()` fills it.
    public init() {}
}
