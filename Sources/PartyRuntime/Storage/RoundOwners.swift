/// The rooms (write buffers) whose submission failed in one commit round: their later
/// submissions of the round were made on top of the failed one, so they fail too.
package struct RoundOwners {
    private var failed: [ObjectIdentifier: StorageError] = [:]

    /// An empty record.
    package init() {}

    /// Why `submission` must fail without running, or `nil` when it may run: an earlier
    /// submission of its room failed in this round, or a failed write reset the room since it was sealed.
    package func failure(before submission: StorageSubmission) -> StorageError? {
        guard let owner = submission.owner else { return nil }
        if let failure = failed[owner.id] { return .roomReset(failure.description) }
        return owner.isCurrent ? nil : .roomReset("an earlier write of the room failed")
    }

    /// Records that `submission` failed with `error`.
    package mutating func record(_ error: StorageError, of submission: StorageSubmission) {
        if let owner = submission.owner { failed[owner.id] = error }
    }
}
