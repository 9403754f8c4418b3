import ArgumentParser
import NIOCore
import NIOPosix

/// `loadgen memory`: the server's resident memory with many rooms live, then hibernated.
struct MemoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Server RSS of ROOMS rooms x 1 connection, live and then hibernated.",
        discussion: """
            For the benchmark server's `state` room (durable-bench-server). Reads the server's \
            VmRSS from /proc/PID/status (--server-pid, same machine) before connecting; opens one \
            connection to each of ROOMS rooms; sends every room one message and checks the reply \
            (all rooms live, their idle timers fresh); reads GET /metrics (every room live), \
            VmRSS and the heap figures of /parties/memory/probe; waits until /metrics reports \
            every room hibernated (--hibernate-timeout), lets the server settle for --settle \
            seconds and reads VmRSS and the heap again; finally asks the probe to trim the heap \
            (malloc_trim) and reads VmRSS once more.

            Prints one JSON line on stdout; progress goes to stderr.
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "Number of rooms, one connection each.")
    var rooms: Int = 10_000

    @Option(name: .customLong("server-pid"), help: "The server's process id, to read its VmRSS from /proc.")
    var serverPID: Int32

    @Option(name: .customLong("state-bytes"), help: "The server's --state-bytes: the N every reply must carry.")
    var stateBytes: Int = 1024

    @Option(name: .customLong("hibernate-timeout"), help: "Seconds to wait for every room to hibernate.")
    var hibernateTimeout: Double = 60

    @Option(help: "Seconds to wait after the last room hibernated before reading memory.")
    var settle: Double = 1

    @Option(help: "Seconds the connecting and live phases may take before the run fails.")
    var timeout: Double = 120

    /// Rejects values the scenario cannot run with.
    func validate() throws {
        try client.validate(rooms: rooms)
        guard rooms >= 1 else { throw ValidationError("--rooms must be at least 1") }
        guard timeout > 0, hibernateTimeout > 0, settle >= 0 else { throw ValidationError("timeouts must be positive") }
        guard (try? TargetURL(client.url))?.serverName != nil else {
            throw ValidationError("--url must look like ws://HOST:PORT/PREFIX/SERVER/ROOM")
        }
    }

    /// Measures, in order: empty server, all rooms live, all rooms hibernated, after a heap trim.
    func run() async throws {
        let wallStart = monotonicNanoseconds()
        ignoreSIGPIPE()
        let fileLimit = raiseOpenFileLimit()
        if UInt64(rooms) + 64 > fileLimit { log("warning: \(rooms) connections but the open-file limit is \(fileLimit)") }
        let target = try TargetURL(client.url)
        let server = target.serverName ?? ""
        let probePath = target.pathTemplate.split(separator: "/").dropLast(2).map { "/" + $0 }.joined() + "/memory/probe"
        let group = MultiThreadedEventLoopGroup(numberOfThreads: client.threads)
        let loops = Array(group.makeIterator())
        let deadline = NIODeadline.now() + timeAmount(seconds: timeout)
        let clients = (0..<rooms).map { EchoClient(loop: loops[$0 % loops.count]) }
        var problem: String?
        var live: MemoryPhase?
        var hibernated: MemoryPhase?
        var trimmed: MemoryPhase?
        var hibernateWait: Double?
        let empty = await MemoryPhase.measure(pid: serverPID, target: target, probePath: probePath, server: server, loop: group.next())

        log("opening \(rooms) connections to \(target.hostHeader), one per room")
        let set = await ConnectionSet.open(
            count: rooms,
            concurrency: client.concurrency,
            connector: Connector(target: target),
            deadline: deadline,
            path: { target.path(room: $0) },
            loop: { clients[$0].loop },
            configure: { clients[$0].attach($1) }
        )
        log("connected \(set.connected) of \(rooms) in \(format(set.connectSeconds)) s")
        if !set.errors.isEmpty { problem = "\(set.errors.count) connections failed: " + summarize(set.errors) }

        // Live: one message per room (also wakes a room that hibernated while the others connected).
        if problem == nil {
            let stateBytes = self.stateBytes
            let failures = await boundedConcurrently(count: rooms, concurrency: client.concurrency) { index in
                let client = clients[index]
                do {
                    _ = try await client.loop.flatSubmit { client.request("t\(index)", reply: "t\(index)|\(stateBytes)", timeout: .seconds(30)) }.get()
                    return String?.none
                } catch {
                    return describe(error)
                }
            }.compactMap { $0 }
            if !failures.isEmpty { problem = "\(failures.count) rooms did not answer: " + summarize(failures) }
        }
        if problem == nil {
            let phase = await MemoryPhase.measure(pid: serverPID, target: target, probePath: probePath, server: server, loop: group.next())
            live = phase
            if phase.liveRooms != rooms {
                problem = "not every room was live while memory was read: \(phase.liveRooms.map(String.init) ?? "?") of \(rooms)"
            }
        }

        // Hibernated, then the same after a heap trim.
        if problem == nil {
            log("waiting for \(rooms) rooms to hibernate")
            let waitStart = monotonicNanoseconds()
            do {
                let limit = NIODeadline.now() + timeAmount(seconds: hibernateTimeout)
                try await waitForHibernation(target: target, server: server, rooms: rooms, loop: group.next(), deadline: limit)
                hibernateWait = seconds(from: waitStart, to: monotonicNanoseconds())
                try await Task.sleep(nanoseconds: UInt64(settle * 1e9))
                hibernated = await MemoryPhase.measure(pid: serverPID, target: target, probePath: probePath, server: server, loop: group.next())
                trimmed = await MemoryPhase.measure(pid: serverPID, target: target, probePath: probePath, server: server, loop: group.next(), trim: true)
            } catch {
                problem = "waiting for hibernation: \(error)"
            }
        }
        let cleanCloses = await set.closeAll(timeout: .seconds(20))
        try? await group.shutdownGracefully()

        var json = JSONObject()
        json["scenario"] = .string("memory")
        json["rooms"] = .int(rooms)
        json["state_bytes"] = .int(stateBytes)
        json["connected"] = .int(set.connected)
        json["connect_seconds"] = .number(set.connectSeconds, decimals: 6)
        json["empty"] = .object(empty.json())
        if let live { json["live"] = .object(live.json(since: empty, rooms: rooms)) }
        if let hibernated { json["hibernated"] = .object(hibernated.json(since: empty, rooms: rooms)) }
        if let trimmed { json["hibernated_after_trim"] = .object(trimmed.json(since: empty, rooms: rooms)) }
        if let live, let hibernated, let a = live.rssKiB, let b = hibernated.rssKiB, let e = empty.rssKiB, a > e {
            json["rss_ratio_hibernated_to_live"] = .number(Double(b - e) / Double(a - e), decimals: 3)
        }
        if let hibernateWait { json["hibernate_wait_seconds"] = .number(hibernateWait) }
        json["dropped"] = .int(set.dropped)
        json["closed_cleanly"] = .int(cleanCloses)
        json["loadgen_cpu_seconds"] = .number(processCPUSeconds())
        json["loadgen_wall_seconds"] = .number(seconds(from: wallStart, to: monotonicNanoseconds()))
        if let problem { json["error"] = .string(problem) }
        let ok = problem == nil && set.dropped == 0 && hibernated != nil
        json["ok"] = .bool(ok)
        emitResult(json)
        guard ok else {
            log("FAILED: \(problem ?? "connections dropped")")
            throw ExitCode(1)
        }
    }
}
