import ArgumentParser
import NIOCore
import NIOPosix

/// `loadgen yjs-doc`: build a document's history through a Yjs room, one character per update,
/// and time how long a new client waits for sync step 1 and step 2 (after a restart: the wake).
struct YjsDocBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yjs-doc",
        abstract: "Yjs documents: build a long history one character per update, and time a new client's sync (step 1, step 2).",
        discussion: """
            build: the room must be new (empty state vector in step 1). A writer and an observer \
            connect; the writer sends UPDATES sync updates of one character each, update u from \
            client u % CLIENTS at its clock u / CLIENTS (after its own previous character), at \
            most WINDOW in flight (until the observer received it: the room forwards an update \
            only once it is stored). Reports updates per second and the send-to-forward latency; \
            every update must reach the observer once, in order per client. Then a new \
            connection times its sync against the live room.

            wake: a new connection sends sync step 1 with an empty state vector as soon as it is \
            open (as y-websocket clients do) and times the server's step 1 (the room loaded) and \
            step 2 (the whole document) from the connection attempt; the state vector must hold \
            --expect-clients clients whose clocks sum to --expect-clock-total. Then a second new \
            connection times the same against the now-live room. With --server-pid, also reads \
            the server's VmRSS and its heap (the memory probe of durable-bench-server, after \
            malloc_trim) before the first connection and while it is open.

            Prints one JSON line on stdout; progress goes to stderr.
            """
    )

    enum Phase: String, ExpressibleByArgument, CaseIterable {
        case build
        case wake
    }

    @OptionGroup var client: ClientOptions

    @Option(help: "build or wake.")
    var phase: Phase = .build

    @Option(help: "build: updates of one character.")
    var updates: Int = 10_000

    @Option(help: "build: client ids typing in turn.")
    var clients: Int = 1

    @Option(help: "build: updates in flight.")
    var window: Int = 64

    @Option(name: .customLong("expect-clients"), help: "wake: clients in the server's state vector.")
    var expectClients: Int?

    @Option(name: .customLong("expect-clock-total"), help: "wake: the sum of the state vector's clocks.")
    var expectClockTotal: Int?

    @Option(name: .customLong("server-pid"), help: "wake: the server's process id: reads VmRSS and the heap probe before and after loading.")
    var serverPID: Int32?

    @Flag(name: .customLong("warm-first"), help: "wake: first sync a new, empty room of the same server (the process's first room), then time the document's.")
    var warmFirst = false

    @Option(name: .customLong("probe-path"), help: "wake: the heap probe's path.")
    var probePath = "/parties/memory/probe"

    @Option(help: "Seconds the whole run may take before it fails.")
    var timeout: Double = 300

    func validate() throws {
        try client.validate(rooms: 1)
        guard (1...10_000_000).contains(updates) else { throw ValidationError("--updates must be between 1 and 10,000,000") }
        guard (1...1000).contains(clients) else { throw ValidationError("--clients must be between 1 and 1,000") }
        guard window >= 1 else { throw ValidationError("--window must be at least 1") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        let wallStart = monotonicNanoseconds()
        ignoreSIGPIPE()
        let target = try TargetURL(client.url)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let deadline = NIODeadline.now() + timeAmount(seconds: timeout)
        var json = JSONObject()
        var problem: String?
        switch phase {
        case .build:
            json["scenario"] = .string("yjs-doc-build")
            problem = await build(target: target, loop: loop, deadline: deadline, into: &json)
        case .wake:
            json["scenario"] = .string("yjs-doc-wake")
            problem = await wake(target: target, loop: loop, deadline: deadline, into: &json)
        }
        try? await group.shutdownGracefully()
        json["loadgen_cpu_seconds"] = .number(processCPUSeconds())
        json["loadgen_wall_seconds"] = .number(seconds(from: wallStart, to: monotonicNanoseconds()))
        if let problem { json["error"] = .string(problem) }
        json["ok"] = .bool(problem == nil)
        emitResult(json)
        if let problem {
            log("FAILED: \(problem)")
            throw ExitCode(1)
        }
        log("ok")
    }

    // MARK: Build

    private func build(target: TargetURL, loop: any EventLoop, deadline: NIODeadline, into json: inout JSONObject) async -> String? {
        json["updates"] = .int(updates)
        json["clients"] = .int(clients)
        json["window"] = .int(window)
        let writer = YjsDocClient(loop: loop)
        let observer = YjsDocClient(loop: loop)
        let pair = [writer, observer]
        let set = await ConnectionSet.open(
            count: 2, concurrency: 2, connector: Connector(target: target), deadline: deadline,
            path: { _ in target.path(room: 0) }, loop: { _ in loop }, configure: { pair[$0].attach($1) }
        )
        let problem = await build(writer: writer, observer: observer, set: set, target: target, loop: loop, deadline: deadline, into: &json)
        _ = await set.closeAll()
        return problem
    }

    private func build(
        writer: YjsDocClient, observer: YjsDocClient, set: ConnectionSet, target: TargetURL, loop: any EventLoop, deadline: NIODeadline,
        into json: inout JSONObject
    ) async -> String? {
        let pair = [writer, observer]
        guard set.errors.isEmpty else { return "connect: " + summarize(set.errors) }
        // Both are in the room once the server's step 1 arrived (sent from its connect hook).
        for client in pair {
            if case .failure(let failure) = await client.step1.futureResult.wait(until: deadline) { return "waiting for step 1: \(failure)" }
        }
        let empty = (try? await loop.submit { pair.allSatisfy { $0.stateVector?.isEmpty == true } }.get()) ?? false
        guard empty else { return "the room is not new (its state vector is not empty)" }

        log("building: \(updates) updates of one character from \(clients) client\(clients == 1 ? "" : "s"), window \(window)")
        let total = updates
        let window = self.window
        let start = monotonicNanoseconds()
        let clients = self.clients
        loop.execute {
            observer.observe(count: total, clients: clients)
            let pace = YjsBuildPace(writer: writer, observer: observer, total: total, window: window)
            observer.onObserved = { pace.pump() }
            pace.pump()
        }
        var lastCount = -1
        var lastChange = monotonicNanoseconds()
        var failure: RunFailure?
        // Progress every 5 s; fail when nothing was observed for 30 s.
        while true {
            let slice = min(deadline, NIODeadline.now() + .seconds(5))
            switch await observer.done.futureResult.wait(until: slice) {
            case .success:
                break
            case .failure(.timeout) where NIODeadline.now() < deadline:
                let count = (try? await loop.submit { observer.observed }.get()) ?? 0
                log("  \(count) of \(total) forwarded")
                if count != lastCount {
                    lastCount = count
                    lastChange = monotonicNanoseconds()
                } else if seconds(from: lastChange, to: monotonicNanoseconds()) > 30 {
                    failure = .stalled(30)
                    break
                }
                continue
            case .failure(let other):
                failure = other
            }
            break
        }
        let figures = try? await loop.submit { () -> (Int, Int, Int, Int, UInt64, JSONObject) in
            (observer.observed, observer.duplicated, observer.reordered, observer.unexpected, observer.lastObserved, latencyJSON(observer.histogram))
        }.get()
        guard let (observed, duplicated, reordered, unexpected, lastObserved, latency) = figures else { return "reading the observer's counts" }
        let buildSeconds = lastObserved > start ? Double(lastObserved - start) / 1e9 : 0
        json["observed"] = .int(observed)
        json["duplicated"] = .int(duplicated)
        json["reordered"] = .int(reordered)
        json["unexpected"] = .int(unexpected)
        json["build_seconds"] = .number(buildSeconds, decimals: 6)
        json["updates_per_second"] = .number(buildSeconds > 0 ? Double(observed) / buildSeconds : 0, decimals: 1)
        json["forward_latency_us"] = .object(latency)
        if let failure { return "building: \(failure) (\(observed) of \(total) forwarded)" }
        guard observed == total, duplicated == 0, reordered == 0, unexpected == 0 else {
            return "building: \(observed) of \(total) forwarded, \(duplicated) duplicated, \(reordered) out of order, \(unexpected) unexpected"
        }
        log("built in \(format(buildSeconds)) s; syncing a new client against the live room")
        let (_, probeSet, result) = await yjsSyncProbe(target: target, loop: loop, deadline: deadline)
        _ = await probeSet.closeAll()
        switch result {
        case .success(let timing):
            json["live_sync"] = .object(timing.json)
            if timing.clients != clients || timing.clockTotal != UInt64(total) {
                return "the live room's state vector has \(timing.clients) clients and \(timing.clockTotal) ticks, not \(clients) and \(total)"
            }
        case .failure(let failure):
            return "syncing against the live room: \(failure)"
        }
        return nil
    }

    // MARK: Wake

    private func wake(target: TargetURL, loop: any EventLoop, deadline: NIODeadline, into json: inout JSONObject) async -> String? {
        let server = target.serverName ?? ""
        var before: MemoryPhase?
        if let serverPID {
            before = await MemoryPhase.measure(pid: serverPID, target: target, probePath: probePath, server: server, loop: loop, trim: true)
            json["memory_before"] = .object(before!.json())
        }
        if warmFirst {
            let segments = target.pathTemplate.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            let warmPath = segments.joined(separator: "/") + "/warm-\(UInt32.random(in: 0...UInt32.max))"
            guard let warmTarget = try? TargetURL("ws://\(target.hostHeader)\(warmPath)") else { return "bad warm-up URL \(warmPath)" }
            log("syncing a new client in the empty room \(warmPath) first")
            let (_, warmSet, warm) = await yjsSyncProbe(target: warmTarget, loop: loop, deadline: deadline)
            _ = await warmSet.closeAll()
            switch warm {
            case .success(let timing): json["empty_room_sync"] = .object(timing.json)
            case .failure(let failure): return "syncing the empty room: \(failure)"
            }
        }
        log("syncing a new client (the room loads)")
        let (_, firstSet, first) = await yjsSyncProbe(target: target, loop: loop, deadline: deadline)
        var problem: String?
        switch first {
        case .success(let timing):
            json["wake_sync"] = .object(timing.json)
            if let expectClients, timing.clients != expectClients {
                problem = "the state vector has \(timing.clients) clients, not \(expectClients)"
            }
            if let expectClockTotal, timing.clockTotal != UInt64(expectClockTotal) {
                problem = "the state vector's clocks sum to \(timing.clockTotal), not \(expectClockTotal)"
            }
        case .failure(let failure):
            problem = "the first sync: \(failure)"
        }
        if problem == nil, let serverPID, let before {
            // The first client is still connected: the room and its document are loaded.
            let loaded = await MemoryPhase.measure(pid: serverPID, target: target, probePath: probePath, server: server, loop: loop, trim: true)
            json["memory_loaded"] = .object(loaded.json(since: before))
        }
        if problem == nil {
            let (_, secondSet, second) = await yjsSyncProbe(target: target, loop: loop, deadline: deadline)
            _ = await secondSet.closeAll()
            switch second {
            case .success(let timing): json["live_sync"] = .object(timing.json)
            case .failure(let failure): problem = "the second sync: \(failure)"
            }
        }
        _ = await firstSet.closeAll()
        return problem
    }
}

/// The writer's side of a build, on the connections' loop: keeps `window` updates in flight.
final class YjsBuildPace {
    let writer: YjsDocClient
    let observer: YjsDocClient
    let total: Int
    let window: Int
    private var sent = 0

    init(writer: YjsDocClient, observer: YjsDocClient, total: Int, window: Int) {
        self.writer = writer
        self.observer = observer
        self.total = total
        self.window = window
    }

    /// Sends while fewer than `window` updates are not yet forwarded to the observer.
    func pump() {
        var wrote = false
        while sent < total, sent - observer.observed < window {
            writer.sendBuildUpdate(sent, writerOf: observer)
            sent += 1
            wrote = true
        }
        if wrote { writer.ws?.flush() }
    }
}
