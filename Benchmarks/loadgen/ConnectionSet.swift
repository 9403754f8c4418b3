import NIOCore
import Synchronization

/// The WebSockets of one scenario: opened together with bounded concurrency, watched for
/// connections the server drops, closed together with a normal closing handshake.
final class ConnectionSet: Sendable {
    /// The open connections' channels, in index order (nil where the attempt failed).
    let channels: [(any Channel)?]
    /// Completes per attempt once its socket is gone.
    let closed: [EventLoopFuture<WebSocketCloseInfo>]
    /// Why attempts failed, one entry per failure.
    let errors: [String]
    /// Seconds from the first attempt to the last connection opened.
    let connectSeconds: Double
    private let finishing = Atomic<Bool>(false)
    private let droppedCount = Atomic<Int>(0)

    /// A set of finished attempts.
    private init(channels: [(any Channel)?], closed: [EventLoopFuture<WebSocketCloseInfo>], errors: [String], connectSeconds: Double) {
        self.channels = channels
        self.closed = closed
        self.errors = errors
        self.connectSeconds = connectSeconds
    }

    /// Connections that opened.
    var connected: Int { channels.count - errors.count }

    /// Connections the server closed before `closeAll()` started.
    var dropped: Int { droppedCount.load(ordering: .sequentiallyConsistent) }

    /// Opens `count` connections, connection `index` to `path(index)` on `loop(index)`;
    /// `configure` runs on that loop before any byte is read (attach a sink there).
    static func open(
        count: Int,
        concurrency: Int,
        connector: Connector,
        deadline: NIODeadline,
        path: @escaping @Sendable (Int) -> String,
        loop: @escaping @Sendable (Int) -> any EventLoop,
        configure: @escaping @Sendable (Int, WebSocketClient) -> Void
    ) async -> ConnectionSet {
        let start = monotonicNanoseconds()
        let results = await boundedConcurrently(count: count, concurrency: concurrency) { index in
            let attempt = connector.open(index: index, path: path(index), on: loop(index), deadline: deadline) { client in
                configure(index, client)
            }
            do {
                let channel = try await attempt.opened.get()
                return (channel as (any Channel)?, attempt.closed, String?.none, monotonicNanoseconds())
            } catch {
                return ((any Channel)?.none, attempt.closed, String?.some(describe(error)), start)
            }
        }
        let last = results.map { $0.3 }.max() ?? start
        let set = ConnectionSet(
            channels: results.map { $0.0 },
            closed: results.map { $0.1 },
            errors: results.compactMap { $0.2 },
            connectSeconds: Double(last - start) / 1_000_000_000
        )
        for future in set.closed {
            future.whenSuccess { [set] info in
                if info.wasOpen, !info.initiatedLocally, !set.finishing.load(ordering: .sequentiallyConsistent) {
                    set.droppedCount.wrappingAdd(1, ordering: .relaxed)
                }
            }
        }
        return set
    }

    /// Closes every connection (code 1000), waits at most `timeout` for the sockets to go, and
    /// returns how many closed with a complete closing handshake.
    func closeAll(timeout: TimeAmount = .seconds(10)) async -> Int {
        finishing.store(true, ordering: .sequentiallyConsistent)
        for case let channel? in channels {
            channel.eventLoop.execute {
                if let handler = try? channel.pipeline.syncOperations.handler(type: WebSocketClient.self) {
                    handler.close(code: 1000, timeout: timeout)
                }
            }
        }
        let open = zip(channels, closed).compactMap { $0.0 == nil ? nil : $0.1 }
        guard let loop = channels.lazy.compactMap({ $0?.eventLoop }).first else { return 0 }
        let all = EventLoopFuture.whenAllComplete(open, on: loop)
        _ = await all.map { _ in () }.wait(until: .now() + timeout + .seconds(2))
        for case let channel? in channels { channel.close(promise: nil) }
        guard let results = try? await all.get() else { return 0 }
        return results.filter { (try? $0.get())?.isCleanLocalClose == true }.count
    }
}
