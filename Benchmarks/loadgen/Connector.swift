import NIOCore
import NIOPosix

/// Opens WebSocket connections to one target, each on an event loop chosen by the caller.
struct Connector: Sendable {
    let target: TargetURL
    /// Whether connections offer permessage-deflate.
    var deflate = false
    /// Local addresses to connect from, round-robin by index (empty: the system's choice). Each
    /// loopback source address has its own ~28,000 ephemeral ports towards one server port.
    var sourceAddresses: [SocketAddress] = []

    /// A connection attempt: `opened` succeeds once the 101 response was checked; `closed`
    /// always completes, when the socket is gone (or at once if it never existed).
    struct Attempt: Sendable {
        let opened: EventLoopFuture<any Channel>
        let closed: EventLoopFuture<WebSocketCloseInfo>
    }

    /// Starts connection `index` to `path` on `loop`; `configure` runs on that loop with the new
    /// handler before any byte is read (attach a sink there).
    func open(
        index: Int,
        path: String,
        on loop: any EventLoop,
        deadline: NIODeadline,
        configure: @escaping @Sendable (WebSocketClient) -> Void
    ) -> Attempt {
        let now = NIODeadline.now()
        guard deadline > now else {
            return Attempt(opened: loop.makeFailedFuture(RunFailure.timeout), closed: loop.makeSucceededFuture(.notConnected))
        }
        let opened = loop.makePromise(of: Void.self)
        let closed = loop.makePromise(of: WebSocketCloseInfo.self)
        let hostHeader = target.hostHeader
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(deadline - now)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = WebSocketClient(
                        path: path,
                        hostHeader: hostHeader,
                        handshakeDeadline: deadline,
                        seed: UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64.random(in: 1...UInt64.max),
                        opened: opened,
                        closed: closed,
                        deflate: deflate
                    )
                    configure(handler)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let source = sourceAddresses.isEmpty ? nil : sourceAddresses[index % sourceAddresses.count]
        let channel = (source.map { bootstrap.bind(to: $0) } ?? bootstrap).connect(to: target.address)
        channel.whenFailure { error in
            // The handler normally reports this; these cover a socket that was never set up.
            opened.fail(error)
            closed.succeed(.notConnected)
        }
        return Attempt(opened: channel.and(opened.futureResult).map { $0.0 }, closed: closed.futureResult)
    }
}

/// Runs `count` operations with at most `concurrency` in flight; results in index order.
func boundedConcurrently<T: Sendable>(
    count: Int,
    concurrency: Int,
    _ operation: @escaping @Sendable (Int) async -> T
) async -> [T] {
    var results = [T?](repeating: nil, count: count)
    await withTaskGroup(of: (Int, T).self) { group in
        var next = 0
        while next < min(count, max(concurrency, 1)) {
            let index = next
            group.addTask { (index, await operation(index)) }
            next += 1
        }
        while let (index, value) = await group.next() {
            results[index] = value
            if next < count {
                let index = next
                group.addTask { (index, await operation(index)) }
                next += 1
            }
        }
    }
    return results.map { $0! }
}

/// A short description of a connection error, for the report.
func describe(_ error: any Error) -> String {
    if let error = error as? WebSocketClientError { return error.description }
    if let error = error as? RunFailure { return error.description }
    if error is ChannelError {
        return "channel error: \(error)"
    }
    return String(describing: error)
}
