import PartyClient
import Synchronization

/// A ``PartySocket`` whose ``PartySocket/run()`` and event stream run in background tasks,
/// recording every event, so tests can wait on conditions over what happened.
final class RunningSocket: Sendable {
    let socket: PartySocket
    private let log = Mutex<[PartySocketEvent]>([])
    private let finished = Atomic<Bool>(false)
    private let runTask = Mutex<Task<Void, Never>?>(nil)
    private let readTask = Mutex<Task<Void, Never>?>(nil)

    init(_ socket: PartySocket) {
        self.socket = socket
    }

    /// Creates a socket with `options` and starts it.
    static func start(_ options: PartySocketOptions) throws -> RunningSocket {
        let running = RunningSocket(try PartySocket(options))
        running.start()
        return running
    }

    /// Starts reading events, then runs the socket.
    func start() {
        readTask.withLock { task in
            task = Task {
                for await event in self.socket.events {
                    self.log.withLock { $0.append(event) }
                }
            }
        }
        runTask.withLock { task in
            task = Task {
                try? await self.socket.run()
                self.finished.store(true, ordering: .sequentiallyConsistent)
            }
        }
    }

    /// Every event so far.
    var events: [PartySocketEvent] { log.withLock { $0 } }

    /// The text messages received so far, in order.
    var texts: [String] {
        events.compactMap { event in
            if case .message(.text(let text)) = event { return text }
            return nil
        }
    }

    /// How many events so far match `predicate`.
    func count(_ predicate: (PartySocketEvent) -> Bool) -> Int {
        events.count(where: predicate)
    }

    /// How many open events so far.
    var opens: Int { count { $0 == .open } }

    /// Whether `run()` has returned.
    var hasReturned: Bool { finished.load(ordering: .sequentiallyConsistent) }

    /// Waits until the socket has opened `count` times in all.
    func waitOpen(_ count: Int = 1, timeout: Duration = .seconds(10)) async throws {
        try await eventually("\(socket.id) opened \(count) times", timeout: timeout, interval: .milliseconds(5)) {
            opens >= count ? .done(()) : .pending("events \(events)")
        }
    }

    /// Waits until `run()` has returned and the event stream has ended.
    func waitReturned(timeout: Duration = .seconds(10)) async throws {
        try await eventually("\(socket.id) returned from run()", timeout: timeout, interval: .milliseconds(5)) {
            hasReturned ? .done(()) : .pending("state \(socket.state), events \(events)")
        }
        _ = await readTask.withLock { $0 }?.value
    }

    /// Closes the socket and waits until `run()` returned.
    func close(timeout: Duration = .seconds(10)) async throws {
        socket.close()
        try await waitReturned(timeout: timeout)
    }
}
