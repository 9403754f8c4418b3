import Synchronization

/// Records what hooks did, per room name, so live tests can assert on it.
final class Recorder: Sendable {
    static let shared = Recorder()

    private let events = Mutex<[String: [String]]>([:])

    func record(_ room: String, _ event: String) {
        events.withLock { $0[room, default: []].append(event) }
    }

    func events(_ room: String) -> [String] {
        events.withLock { $0[room] ?? [] }
    }

    func count(_ room: String, _ prefix: String) -> Int {
        events(room).filter { $0.hasPrefix(prefix) }.count
    }
}

/// Waits until `condition` holds, checking every 10 ms, failing after `timeout`.
func waitUntil(
    timeout: Duration = .seconds(10),
    _ what: String,
    _ condition: () async throws -> Bool
) async throws {
    try await eventually(what, timeout: timeout, interval: .milliseconds(10)) {
        try await condition() ? .done(()) : .pending("not yet")
    }
}

/// A one-shot gate that tasks can wait on until a test opens it.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
    }
}

/// A unique room name for one test.
func uniqueRoom(_ base: String = "room") -> String {
    "\(base)-\(UInt32.random(in: 0...UInt32.max))"
}

#if canImport(Glibc)
import Glibc
#endif

/// Raises the soft open-file limit (tests that hold hundreds of sockets on both ends need it).
func raiseOpenFileLimit(to wanted: UInt) throws {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
    let target = min(rlim_t(wanted), limit.rlim_max)
    guard limit.rlim_cur < target else { return }
    limit.rlim_cur = target
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
