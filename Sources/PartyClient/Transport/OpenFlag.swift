import Synchronization

/// A flag shared between a connection's handler (on its event loop) and the socket: set while
/// the connection may carry messages, cleared once a close frame was sent or received or the
/// TCP connection ended.
final class OpenFlag: Sendable {
    private let value = Atomic<Bool>(true)

    /// Whether the connection may still carry messages.
    var isOpen: Bool { value.load(ordering: .acquiring) }

    /// Clears the flag.
    func clear() { value.store(false, ordering: .releasing) }
}
