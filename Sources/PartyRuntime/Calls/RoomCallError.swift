/// Why a call from one room to another (`RoomStub.fetch`, `RoomStub.call`) failed; each
/// description says what to do.
public enum RoomCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The target room could not be reached: its server type is not registered, its name is not
    /// valid, it could not start, a room limit refused it, or the server is shutting down. The
    /// text says which, and what to do.
    case unreachable(String)
    /// No reply came within the call's timeout, measured on the application's clock. The callee
    /// may still finish the call.
    case timeout(Duration)
    /// The callee's hook threw: the error's type name and its description. A storage failure of
    /// the callee's writes is reported this way too (`StorageError`), and then nothing the call
    /// wrote was stored.
    case failed(errorType: String, message: String)
    /// The call would wait on a room that is itself waiting for this call (A → B → A, or a room
    /// calling itself), which would deadlock on the input gate; it failed at once. Carries the
    /// chain of rooms, first caller first, ending with the refused target.
    case cycle([String])
    /// A typed call or its reply could not be encoded or decoded as JSON (the text says which).
    case undecodable(String)
    /// The calling task was cancelled before the reply came. The callee may still finish the call.
    case cancelled

    /// A short stable name of the case, for metrics and logs (`unreachable`, `timeout`, …).
    public var reason: String {
        switch self {
        case .unreachable: "unreachable"
        case .timeout: "timeout"
        case .failed: "failed"
        case .cycle: "cycle"
        case .undecodable: "undecodable"
        case .cancelled: "cancelled"
        }
    }

    /// A sentence that says what happened and what to do.
    public var description: String {
        switch self {
        case .unreachable(let reason):
            "room call could not reach its target: \(reason)"
        case .timeout(let timeout):
            "room call got no reply within \(timeout); the callee may still finish it, so make the call safe to repeat before "
                + "retrying, or give the stub a longer timeout (stub(for:named:timeout:))"
        case .failed(let errorType, let message):
            "the called room threw \(errorType): \(message); handle it in the callee, or catch RoomCallError.failed in the caller"
        case .cycle(let chain):
            "room call cycle \(chain.joined(separator: " → ")): a room in the chain is waiting for this call, so it would "
                + "deadlock; have the callee reply and let the caller act on the reply, or defer the work (e.g. with an alarm)"
        case .undecodable(let detail):
            "\(detail); give the caller and the callee the same Call and Reply types"
        case .cancelled:
            "the calling task was cancelled before the reply came; the callee may still finish the call"
        }
    }
}

extension RoomCallError {
    /// What a callee's thrown error becomes: `.failed` with its type name and description.
    static func failure(_ error: any Error) -> RoomCallError {
        .failed(errorType: String(describing: type(of: error)), message: String(describing: error))
    }
}
