import ArgumentParser
import NIOCore
import NIOPosix
import Synchronization

struct Connect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Connection rate and idle connections: open many WebSockets, hold them, close them.",
        discussion: """
            Opens CONNECTIONS WebSockets spread round-robin over ROOMS rooms ({i} in the URL becomes \
            the room index, from 0) as fast as CONCURRENCY attempts in flight allow, reports the \
            rate, holds them all open for HOLD seconds (read the server's memory meanwhile), then \
            closes them with a normal closing handshake (1000). Fails (exit status 1) if any \
            connection failed, was dropped by the server, or did not close cleanly.

            Raises its own open-file soft limit to the hard limit; the server needs a high limit too.
            Prints one JSON line on stdout; progress goes to stderr.
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "Connections to open.")
    var connections: Int = 1000

    @Option(help: "Rooms to spread them over (connection n joins room n % rooms).")
    var rooms: Int = 100

    @Option(help: "Seconds to hold every connection open once all are connected.")
    var hold: Double = 5

    @Option(help: "Seconds the connecting phase may take before the rest count as failed.")
    var timeout: Double = 120

    @Option(name: .customLong("server-pid"), help: "The server's process id (same machine): reports its RSS per held connection and its CPU time per connection set up, from /proc.")
    var serverPID: Int32?

    @Option(name: .customLong("source-addresses"), help: "Comma-separated local IPv4 addresses to connect from, round-robin (e.g. 127.0.0.1,127.0.0.2): each gives ~28,000 more ephemeral ports.")
    var sourceAddresses: String?


    func validate() throws {
        try client.validate(rooms: rooms)
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard rooms >= 1 else { throw ValidationError("--rooms must be at least 1") }
        guard hold >= 0 else { throw ValidationError("--hold must not be negative") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        let wallStart = monotonicNanoseconds()
        ignoreSIGPIPE()
        let fileLimit = raiseOpenFileLimit()
        if UInt64(connections) + 64 > fileLimit {
            log("warning: \(connections) connections but the open-file limit is \(fileLimit)")
        }
        let target = try TargetURL(client.url)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: client.threads)
        let loops = Array(group.makeIterator())
        var configured = Connector(target: target, deflate: client.deflate)
        if let sourceAddresses {
            configured.sourceAddresses = try sourceAddresses.split(separator: ",").map { try SocketAddress(ipAddress: String($0), port: 0) }
        }
        let connector = configured
        let serverBefore = serverPID.flatMap { pid in ProcFS.statusKiB("VmRSS", pid: pid).map { ($0, ProcFS.cpuSeconds(pid: pid) ?? 0) } }
        let deadline = NIODeadline.now() + timeAmount(seconds: timeout)
        let flags = HoldFlags()

        // 1. Connect.
        log("opening \(connections) connections over \(rooms) rooms to \(target.hostHeader)")
        let start = monotonicNanoseconds()
        let results = await boundedConcurrently(count: connections, concurrency: client.concurrency) { index in
            let attempt = connector.open(
                index: index,
                path: target.path(room: index % rooms),
                on: loops[index % loops.count],
                deadline: deadline
            ) { _ in }
            do {
                let channel = try await attempt.opened.get()
                let connectedAt = monotonicNanoseconds()
                attempt.closed.whenSuccess { info in
                    if !info.initiatedLocally, !flags.finishing.load(ordering: .sequentiallyConsistent) {
                        flags.dropped.wrappingAdd(1, ordering: .relaxed)
                    }
                }
                return ConnectResult.connected(channel, attempt.closed, connectedAt)
            } catch {
                return ConnectResult.failed(describe(error))
            }
        }
        var channels: [(any Channel, EventLoopFuture<WebSocketCloseInfo>)] = []
        var errors: [String] = []
        var lastConnected = start
        for result in results {
            switch result {
            case .connected(let channel, let closed, let at):
                channels.append((channel, closed))
                lastConnected = max(lastConnected, at)
            case .failed(let error):
                errors.append(error)
            }
        }
        let connectSeconds = seconds(from: start, to: lastConnected)
        let rate = connectSeconds > 0 ? Double(channels.count) / connectSeconds : 0
        log("connected \(channels.count) of \(connections) in \(format(connectSeconds)) s (\(format(rate, decimals: 0))/s)")
        if !errors.isEmpty { log("failures: " + summarize(errors)) }

        // 2. Hold.
        log("holding \(channels.count) connections for \(format(hold)) s")
        let holdStart = monotonicNanoseconds()
        if hold > 0 {
            try? await Task.sleep(nanoseconds: UInt64(hold * 1_000_000_000))
        }
        let heldSeconds = seconds(from: holdStart, to: monotonicNanoseconds())
        // Read after the hold, so the CPU time includes the rooms' work for each new connection
        // (onConnect and what it sends), which goes on after the handshake.
        let serverRSSHeld = serverPID.flatMap { ProcFS.statusKiB("VmRSS", pid: $0) }
        let serverCPUConnected = serverPID.flatMap { ProcFS.cpuSeconds(pid: $0) }
        flags.finishing.store(true, ordering: .sequentiallyConsistent)
        let droppedCount = flags.dropped.load(ordering: .sequentiallyConsistent)

        // 3. Close (normal closing handshake), bounded.
        let closeStart = monotonicNanoseconds()
        for (channel, _) in channels {
            channel.eventLoop.execute {
                if let handler = try? channel.pipeline.syncOperations.handler(type: WebSocketClient.self) {
                    handler.close(code: 1000, timeout: .seconds(10))
                }
            }
        }
        let closeInfos = EventLoopFuture.whenAllSucceed(channels.map(\.1), on: group.next())
        let closeWait = closeInfos.map { _ in () }
        _ = await closeWait.wait(until: NIODeadline.now() + .seconds(30))
        let closeSeconds = seconds(from: closeStart, to: monotonicNanoseconds())
        var closedCleanly = 0
        if let infos = try? await closeInfos.get() {
            closedCleanly = infos.filter(\.isCleanLocalClose).count
        }
        for (channel, _) in channels { channel.close(promise: nil) }
        try? await group.shutdownGracefully()

        let failed = connections - channels.count
        let ok = failed == 0 && droppedCount == 0 && closedCleanly == channels.count
        var json = JSONObject()
        json["scenario"] = .string("connect")
        json["connections"] = .int(connections)
        json["rooms"] = .int(rooms)
        json["connected"] = .int(channels.count)
        json["failed"] = .int(failed)
        json["seconds"] = .number(connectSeconds, decimals: 6)
        json["connections_per_second"] = .number(rate, decimals: 1)
        json["hold_seconds"] = .number(heldSeconds)
        json["dropped"] = .int(droppedCount)
        json["closed_cleanly"] = .int(closedCleanly)
        json["close_seconds"] = .number(closeSeconds)
        if !errors.isEmpty { json["errors"] = .string(summarize(errors, limit: 5)) }
        json["loadgen_cpu_seconds"] = .number(processCPUSeconds())
        json["loadgen_wall_seconds"] = .number(seconds(from: wallStart, to: monotonicNanoseconds()))
        json["loadgen_threads"] = .int(client.threads)
        json["open_file_limit"] = .int(Int(clamping: fileLimit))
        if let (rssBefore, cpuBefore) = serverBefore, let serverRSSHeld, let serverCPUConnected, !channels.isEmpty {
            json["server_rss_before_kib"] = .int(rssBefore)
            json["server_rss_held_kib"] = .int(serverRSSHeld)
            json["server_bytes_per_connection"] = .int((serverRSSHeld - rssBefore) * 1024 / channels.count)
            json["server_cpu_connect_seconds"] = .number(serverCPUConnected - cpuBefore)
            json["server_cpu_us_per_connection"] = .number((serverCPUConnected - cpuBefore) * 1e6 / Double(channels.count), decimals: 1)
        }
        json["ok"] = .bool(ok)
        emitResult(json)
        guard ok else {
            log("FAILED: \(failed) failed, \(droppedCount) dropped, \(closedCleanly) of \(channels.count) closed cleanly")
            throw ExitCode(1)
        }
    }
}

private enum ConnectResult: Sendable {
    case connected(any Channel, EventLoopFuture<WebSocketCloseInfo>, UInt64)
    case failed(String)
}

/// Connections the server closed before this side started closing them.
private final class HoldFlags: Sendable {
    let dropped = Atomic<Int>(0)
    let finishing = Atomic<Bool>(false)
}
