import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Clock

/// Monotonic nanoseconds (CLOCK_MONOTONIC); the same clock stamps a message when it is sent and
/// when it arrives, so end-to-end latency needs no clock synchronisation.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    NIODeadline.now().uptimeNanoseconds
}

/// The process's own CPU time (user + system) in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if canImport(Darwin)
    _ = getrusage(RUSAGE_SELF, &usage)
    #else
    _ = getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #endif
    func seconds(_ time: timeval) -> Double {
        Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000
    }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Raises the soft limit on open files to the hard limit; returns the soft limit now in force.
@discardableResult
func raiseOpenFileLimit() -> UInt64 {
    var limit = rlimit()
    #if canImport(Darwin)
    let resource = RLIMIT_NOFILE
    #else
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #endif
    guard getrlimit(resource, &limit) == 0 else { return 0 }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        #if canImport(Darwin)
        // macOS refuses RLIM_INFINITY for RLIMIT_NOFILE; OPEN_MAX is the real ceiling.
        if raised.rlim_cur > rlim_t(OPEN_MAX) { raised.rlim_cur = rlim_t(OPEN_MAX) }
        #endif
        if setrlimit(resource, &raised) == 0 {
            limit = raised
        }
    }
    return UInt64(limit.rlim_cur)
}

/// Writing to a socket the server already closed must fail the write, not kill the process.
func ignoreSIGPIPE() {
    _ = signal(SIGPIPE, SIG_IGN)
}

// MARK: - Output

/// Writes a line to standard error (unbuffered): human-readable progress and diagnostics.
func log(_ message: String) {
    writeAll(fd: 2, "loadgen: " + message + "\n")
}

/// Writes the single JSON result line to standard output (unbuffered, so nothing is lost on exit).
func emitResult(_ json: JSONObject) {
    writeAll(fd: 1, json.serialized() + "\n")
}

private func writeAll(fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}

/// A JSON object that keeps its keys in insertion order (the result line is read by people too).
struct JSONObject: Sendable {
    private var fields: [(String, JSONValue)] = []

    subscript(key: String) -> JSONValue? {
        get { fields.first { $0.0 == key }?.1 }
        set {
            if let index = fields.firstIndex(where: { $0.0 == key }) {
                if let newValue { fields[index].1 = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append((key, newValue))
            }
        }
    }

    func serialized() -> String {
        var out = "{"
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { out += "," }
            out += JSONValue.string(key).serialized()
            out += ":"
            out += value.serialized()
        }
        return out + "}"
    }
}

enum JSONValue: Sendable {
    case int(Int)
    case double(Double, decimals: Int)
    case string(String)
    case bool(Bool)
    case object(JSONObject)
    case array([JSONValue])
    case null

    static func number(_ value: Double, decimals: Int = 3) -> JSONValue {
        .double(value, decimals: decimals)
    }

    func serialized() -> String {
        switch self {
        case .int(let value):
            return String(value)
        case .double(let value, let decimals):
            guard value.isFinite else { return "null" }
            var scale = 1.0
            for _ in 0..<decimals { scale *= 10 }
            let rounded = (value * scale).rounded() / scale
            if rounded == rounded.rounded(), abs(rounded) < 1e15 {
                return String(Int64(rounded))
            }
            return String(rounded)
        case .string(let value):
            var out = "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        case .bool(let value):
            return value ? "true" : "false"
        case .object(let object):
            return object.serialized()
        case .array(let values):
            return "[" + values.map { $0.serialized() }.joined(separator: ",") + "]"
        case .null:
            return "null"
        }
    }
}

// MARK: - Target URL

/// A `ws://` URL on the loopback interface; `{i}` in the path is replaced by a room index.
struct TargetURL: Sendable {
    let host: String
    let port: Int
    let pathTemplate: String
    let address: SocketAddress

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(_ string: String) throws {
        guard string.hasPrefix("ws://") else {
            throw Invalid(description: "only ws:// URLs are supported: \(string)")
        }
        let rest = string.dropFirst("ws://".count)
        let authority: Substring
        let path: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[slash...]
        } else {
            authority = rest
            path = "/"
        }
        var host: String
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw Invalid(description: "bad IPv6 address in \(string)")
            }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            host = String(authority)
        }
        if host == "localhost" { host = "127.0.0.1" }
        let port: Int
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw Invalid(description: "bad port in \(string)")
            }
            port = value
        } else {
            port = 80
        }
        // Load is only ever sent to this machine.
        let isLoopback = host == "::1" || host.split(separator: ".").first == "127"
        guard isLoopback else {
            throw Invalid(description: "the load generator only targets loopback addresses (127.0.0.0/8, ::1, localhost), not \(host)")
        }
        self.host = host
        self.port = port
        self.pathTemplate = String(path)
        self.address = try SocketAddress(ipAddress: host, port: port)
    }

    /// The request path for room `index`.
    func path(room index: Int) -> String {
        pathTemplate.replacing("{i}", with: String(index))
    }

    /// The `Host` header value.
    var hostHeader: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

// MARK: - Atomics shared between event loops

/// A fixed-size array of atomic counters (per-message and per-sender accounting across loops).
final class AtomicCounters: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Atomic<Int>>
    let count: Int

    init(count: Int, initialValue: Int) {
        self.count = count
        self.base = .allocate(capacity: Swift.max(count, 1))
        for index in 0..<count {
            (base + index).initialize(to: Atomic(initialValue))
        }
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    @inline(__always)
    func load(_ index: Int) -> Int {
        base[index].load(ordering: .sequentiallyConsistent)
    }

    @inline(__always)
    func store(_ index: Int, _ value: Int) {
        base[index].store(value, ordering: .sequentiallyConsistent)
    }

    /// Adds `delta` and returns the new value.
    @inline(__always)
    @discardableResult
    func add(_ index: Int, _ delta: Int) -> Int {
        base[index].wrappingAdd(delta, ordering: .sequentiallyConsistent).newValue
    }

    @inline(__always)
    func exchange(_ index: Int, _ value: Int) -> Int {
        base[index].exchange(value, ordering: .sequentiallyConsistent)
    }
}

/// A counter that completes a promise the moment it reaches zero (or at once if it starts there).
/// The promise can also be failed (timeout, abort); whichever comes first wins.
final class CountdownSignal: Sendable {
    private let remaining: Atomic<Int>
    private let promise: Mutex<EventLoopPromise<Void>?>
    let future: EventLoopFuture<Void>

    init(count: Int, on eventLoop: any EventLoop) {
        let promise = eventLoop.makePromise(of: Void.self)
        self.remaining = Atomic(count)
        self.future = promise.futureResult
        self.promise = Mutex(promise)
        if count <= 0 { succeed() }
    }

    var pending: Int { remaining.load(ordering: .sequentiallyConsistent) }

    /// Counts one down; completes the signal when it reaches zero.
    func countDown() {
        if remaining.wrappingSubtract(1, ordering: .sequentiallyConsistent).newValue == 0 {
            succeed()
        }
    }

    func succeed() {
        promise.withLock { $0.take() }?.succeed(())
    }

    func fail(_ error: any Error) {
        promise.withLock { $0.take() }?.fail(error)
    }
}

/// Why a phase ended early.
enum RunFailure: Error, CustomStringConvertible {
    case timeout
    case stalled(Double)
    case aborted(String)

    var description: String {
        switch self {
        case .timeout: return "timeout"
        case .stalled(let seconds): return "stalled for \(seconds) s"
        case .aborted(let reason): return reason
        }
    }
}

extension EventLoopFuture where Value == Void {
    /// Waits for the future, or fails with `RunFailure.timeout` at `deadline`.
    func wait(until deadline: NIODeadline) async -> Result<Void, RunFailure> {
        let promise = eventLoop.makePromise(of: Void.self)
        let timer = eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(RunFailure.timeout)
        }
        self.cascade(to: promise)
        do {
            try await promise.futureResult.get()
            timer.cancel()
            return .success(())
        } catch let failure as RunFailure {
            timer.cancel()
            return .failure(failure)
        } catch {
            timer.cancel()
            return .failure(.aborted(String(describing: error)))
        }
    }
}

/// Seconds as a `TimeAmount`.
func timeAmount(seconds: Double) -> TimeAmount {
    .nanoseconds(Int64((seconds * 1_000_000_000).rounded()))
}

extension TargetURL {
    /// The server route name in a room URL `/PREFIX/SERVER/ROOM` (the segment before the last).
    var serverName: String? {
        let segments = pathTemplate.split(separator: "?").first?.split(separator: "/") ?? []
        return segments.count >= 2 ? String(segments[segments.count - 2]) : nil
    }
}

/// Waits for `future`, failing at `deadline`, or early when `progress` (a count of what arrived
/// so far) has not changed for `stallSeconds`.
func waitMakingProgress(
    _ future: EventLoopFuture<Void>, deadline: NIODeadline, stallSeconds: Double, progress: () async -> Int
) async -> Result<Void, RunFailure> {
    var lastProgress = -1
    var lastChange = monotonicNanoseconds()
    while true {
        let slice = min(deadline, NIODeadline.now() + .milliseconds(250))
        switch await future.wait(until: slice) {
        case .success:
            return .success(())
        case .failure(.timeout):
            if NIODeadline.now() >= deadline { return .failure(.timeout) }
            let current = await progress()
            let now = monotonicNanoseconds()
            if current != lastProgress {
                lastProgress = current
                lastChange = now
            } else if seconds(from: lastChange, to: now) >= stallSeconds {
                return .failure(.stalled(seconds(from: lastChange, to: now)))
            }
        case .failure(let failure):
            return .failure(failure)
        }
    }
}
