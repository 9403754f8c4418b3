/// Operations on encoded updates (format v1) that need no document: merging, cutting out what a
/// peer lacks, and the state vector an update brings a peer to.
public enum YUpdates {
    /// One update holding everything `updates` hold.
    public static func merge(_ updates: [[UInt8]]) throws(YUpdateError) -> [UInt8] {
        var state = YDocumentState()
        for update in updates { try state.apply(update) }
        return state.encode()
    }

    /// The part of `update` that a peer at `stateVector` lacks (with all of its deletions).
    public static func diff(_ update: [UInt8], against stateVector: YStateVector) throws(YUpdateError) -> [UInt8] {
        var state = YDocumentState()
        try state.apply(update)
        return state.encode(since: stateVector)
    }

    /// The state vector of a peer that holds exactly `update`.
    public static func stateVector(of update: [UInt8]) throws(YUpdateError) -> YStateVector {
        var state = YDocumentState()
        try state.apply(update)
        return state.stateVector
    }

    /// Checks that `update` is a well-formed update; throws what is wrong with it.
    public static func validate(_ update: [UInt8]) throws(YUpdateError) {
        _ = try YUpdateReader(update)
    }
}
