/// One job of a `Jobs` room.
public struct Job: Codable, Sendable, Equatable {
    /// Where a job is in its life; it only ever moves forward.
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Created by a client, still being edited.
        case draft
        /// Handed over: a worker may take it.
        case ready
        /// A worker took it.
        case running
        /// A worker finished it with a result.
        case success
        /// A worker gave up on it with an error.
        case failure
    }

    /// The job id (1–64 characters), chosen by the client.
    public var id: String
    /// The job's state.
    public var state: State
    /// What to work on.
    public var input: String
    /// The result, once `success`.
    public var result: String?
    /// The error, once `failure`.
    public var error: String?
    /// Who made the last change (connection user id, or the connection id).
    public var updatedBy: String

    /// Whether `from → to` is allowed, and whether only a worker may make it.
    public static func transition(from: State, to: State) -> (allowed: Bool, workerOnly: Bool) {
        switch (from, to) {
        case (.draft, .ready): (true, false)
        case (.ready, .running): (true, true)
        case (.ready, .success), (.ready, .failure), (.running, .success), (.running, .failure): (true, true)
        default: (false, false)
        }
    }
}
