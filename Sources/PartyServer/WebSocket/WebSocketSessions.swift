import Synchronization

/// Every open WebSocket session of a server, so that a graceful shutdown can close them all (no
/// task waits per connection for the signal) and wait until their rooms have seen them go.
package final class WebSocketSessions: Sendable {
    /// The close a shutting-down server sends.
    package struct Shutdown: Sendable {
        package let code: Int
        package let reason: String
    }

    private struct State {
        var open: [ObjectIdentifier: Connection] = [:]
        var shutdown: Shutdown?
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    package init() {}

    /// Number of open sessions.
    package var count: Int { state.withLock { $0.open.count } }

    /// Records a new session; returns the shutdown's close when the server is already shutting
    /// down (the caller closes the connection with it).
    func add(_ connection: Connection) -> Shutdown? {
        state.withLock { state in
            state.open[ObjectIdentifier(connection)] = connection
            return state.shutdown
        }
    }

    /// A session ended.
    func remove(_ connection: Connection) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open[ObjectIdentifier(connection)] = nil
            guard state.open.isEmpty else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Closes every open session with `code` and `reason` (and any opened from now on), then
    /// waits until all have ended: each ends within the close timeout after its close, plus its
    /// room's `onClose`.
    package func closeAll(code: Int, reason: String) async {
        let open = state.withLock { state -> [Connection] in
            state.shutdown = Shutdown(code: code, reason: reason)
            return Array(state.open.values)
        }
        for connection in open {
            connection.close(code: code, reason: reason)
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                guard !state.open.isEmpty else { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
