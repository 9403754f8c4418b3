import Foundation
import Synchronization

#if os(Linux)
import Glibc

/// A child process in its own process group, with stdout and stderr captured through one pipe.
///
/// A background thread drains the pipe for as long as any process of the group holds it open,
/// so the child never blocks on a full pipe; the output is kept (up to a limit) for diagnostics
/// and handed line by line to `onLine`.
final class ChildProcess: Sendable {
    /// The process id, which is also the id of the process group the child leads.
    let pid: pid_t
    let executable: String

    private struct Output {
        var text = ""
        var truncated = false
    }

    private static let outputLimit = 64 * 1024
    private let output = Mutex(Output())
    private let reaped = Mutex<Int32?>(nil)
    private let drained = Mutex(false)

    private init(pid: pid_t, executable: String) {
        self.pid = pid
        self.executable = executable
    }

    /// Starts `executable` with `arguments` and the test's environment plus `environment`, stdin from /dev/null, stdout and stderr into the pipe.
    static func spawn(
        _ executable: String,
        arguments: [String],
        environment extra: [String: String] = [:],
        onLine: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> ChildProcess {
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else { throw SpawnError(executable: executable, reason: "pipe failed: errno \(errno)") }
        let (readFD, writeFD) = (pipeFDs[0], pipeFDs[1])
        _ = fcntl(readFD, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeFD, F_SETFD, FD_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeFD, 1)
        posix_spawn_file_actions_adddup2(&actions, writeFD, 2)

        // Its own process group (so the whole browser, helpers included, can be signalled at once),
        // default SIGPIPE handling (the test process ignores it) and an empty signal mask.
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        sigaddset(&defaultSignals, SIGPIPE)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }

        var environment = ProcessInfo.processInfo.environment
        environment.merge(extra) { _, new in new }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }

        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(writeFD)
        guard status == 0 else {
            close(readFD)
            throw SpawnError(executable: executable, reason: String(cString: strerror(status)))
        }

        let process = ChildProcess(pid: pid, executable: executable)
        let thread = Thread { process.drain(readFD, onLine: onLine) }
        thread.name = "output of \(executable)"
        thread.start()
        return process
    }

    /// Everything the process group wrote so far (the start, if it was longer than the limit).
    var outputText: String {
        output.withLock { $0.truncated ? $0.text + "\n[… output truncated]" : $0.text }
    }

    /// The last `count` lines written, for error messages.
    func outputTail(lines count: Int = 30) -> String {
        let lines = outputText.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.suffix(count).joined(separator: "\n")
    }

    /// Whether the child has exited (it stays a zombie, keeping its process group id reserved, until ``reap()``).
    var hasExited: Bool {
        if reaped.withLock({ $0 }) != nil { return true }
        var info = siginfo_t()
        let result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        return result == 0 && info.si_signo == SIGCHLD
    }

    /// Sends `signal` to every process of the child's group (a no-op once the child was reaped).
    func signalGroup(_ signal: Int32) {
        reaped.withLock { status in
            guard status == nil else { return }
            _ = kill(-pid, signal)
        }
    }

    /// Collects the exited child's status; returns it.
    @discardableResult
    func reap() -> Int32 {
        reaped.withLock { reaped in
            if let reaped { return reaped }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            reaped = status
            return status
        }
    }

    /// Waits for the process and returns its exit code, or `nil` if a signal ended it.
    func reapExitCode() -> Int32? {
        let status = reap()
        return status & 0x7f == 0 ? (status >> 8) & 0xff : nil
    }

    /// Reads the pipe until every writer closed it.
    private func drain(_ fd: Int32, onLine: @Sendable (String) -> Void) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            let chunk = buffer[0..<count]
            output.withLock { output in
                guard !output.truncated else { return }
                output.text += String(decoding: chunk, as: UTF8.self)
                if output.text.utf8.count > Self.outputLimit {
                    output.text = String(output.text.prefix(Self.outputLimit))
                    output.truncated = true
                }
            }
            pending.append(contentsOf: chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                onLine(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
        if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
        close(fd)
        drained.withLock { $0 = true }
    }

    /// Whether the process exited and everything it wrote has been read (every writer of the
    /// pipe closed it), so `outputText` is complete.
    var hasFinished: Bool {
        hasExited && drained.withLock { $0 }
    }
}

/// Thrown when a child process could not be started.
struct SpawnError: Error, CustomStringConvertible {
    let executable: String
    let reason: String
    var description: String { "could not start \(executable): \(reason)" }
}
#endif
