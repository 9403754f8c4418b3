#if os(Linux)
import Foundation
import Glibc
import Synchronization

/// Runs the scripted y-websocket clients on the real Yjs stacks: `Tests/Node/yjs-client.js`
/// (yjs, y-websocket and ws from Debian's node packages) and `Tests/Python/yjs_client.py`
/// (pycrdt). Both take the same options (their header comments list them), print one JSON object
/// a line, `{"event": ...}` objects and then a `{"result": true, ...}` one, and exit 0.
enum YjsClient {
    enum Kind: String, Sendable, CaseIterable {
        case node
        case python
    }

    /// `Tests/Node/yjs-client.js` in this checkout.
    static let nodeScript = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Node").appendingPathComponent("yjs-client.js")

    /// `Tests/Python/yjs_client.py` in this checkout.
    static let pythonScript = PythonClient.directory.appendingPathComponent("yjs_client.py")

    /// Where Debian's node-* packages put their modules.
    static let nodePath = "/usr/share/nodejs"

    /// What to do when a client cannot run (`Scripts/test` installs what they need).
    static let installHint = """
        run Scripts/test, which installs what the Yjs clients need, or: \
        apt-get install node-yjs node-y-websocket node-y-protocols node-lib0 node-ws; \
        python3 -m pip install pycrdt==0.14.13 pycrdt-websocket==0.16.5 'websockets>=14'
        """

    /// The server URL the clients take; they connect to it plus `/` and the room name.
    static func serverURL(port: Int, party: String = "yjs") -> String {
        "ws://127.0.0.1:\(port)/parties/\(party)"
    }

    /// Starts a `kind` client connecting to `room` on `port`, with more `arguments` (`--insert`,
    /// `--expect-length`, `--hold`, …).
    static func start(_ kind: Kind, port: Int, room: String, party: String = "yjs", arguments: [String]) throws -> RunningYjsClient {
        let lines = JSONLines()
        let process = try ChildProcess.spawn(
            "/usr/bin/env",
            arguments: command(kind) + ["--url", serverURL(port: port, party: party), "--room", room] + arguments,
            environment: ["NODE_PATH": nodePath]
        ) { line in
            lines.append(line)
        }
        return RunningYjsClient(kind: kind, process: process, lines: lines)
    }

    /// Whether a `kind` client can run here: node finds yjs, y-websocket and ws, or python3
    /// imports pycrdt, pycrdt.websocket and websockets.
    static func available(_ kind: Kind) async -> Bool {
        let check: [String] = switch kind {
        case .node: ["node", "-e", "require('yjs'); require('y-websocket'); require('ws')"]
        case .python: ["python3", "-c", "import pycrdt, pycrdt.websocket, websockets.asyncio.client"]
        }
        guard let process = try? ChildProcess.spawn("/usr/bin/env", arguments: check, environment: ["NODE_PATH": nodePath]) else {
            return false
        }
        do {
            try await eventually("\(kind.rawValue) checked for the Yjs packages", timeout: .seconds(30)) {
                process.hasExited ? .done(()) : .pending("still running")
            }
        } catch {
            process.signalGroup(SIGKILL)
            process.reap()
            return false
        }
        return process.reapExitCode() == 0
    }

    private static func command(_ kind: Kind) -> [String] {
        switch kind {
        case .node: ["node", nodeScript.path]
        case .python: ["python3", pythonScript.path]
        }
    }
}

/// A running Yjs client: the JSON lines it printed so far, and its process. Killed when released.
final class RunningYjsClient: Sendable {
    let kind: YjsClient.Kind
    let process: ChildProcess
    private let lines: JSONLines

    fileprivate init(kind: YjsClient.Kind, process: ChildProcess, lines: JSONLines) {
        self.kind = kind
        self.process = process
        self.lines = lines
    }

    deinit {
        process.signalGroup(SIGKILL)
        process.reap()
    }

    /// The `{"event": ...}` objects printed so far, in order.
    var events: [JSONValue] {
        lines.all.filter { $0["event"] != nil }
    }

    /// The first event named `name` (that `predicate` accepts), waiting until it is printed; throws
    /// with the client's output if the client ends without printing it.
    @discardableResult
    func waitForEvent(
        _ name: String,
        timeout: Duration = .seconds(20),
        where predicate: (JSONValue) -> Bool = { _ in true }
    ) async throws -> JSONValue {
        let condition = "the \(kind.rawValue) Yjs client printed \"\(name)\""
        return try await eventually(condition, timeout: timeout) { () throws -> PollResult<JSONValue> in
            // Finished first: once it has, every line it printed is in `lines`.
            let finished = process.hasFinished
            if let event = events.first(where: { $0["event"]?.stringValue == name && predicate($0) }) {
                return .done(event)
            }
            if finished {
                throw AbortWaiting(reason: "the \(kind.rawValue) Yjs client ended without printing \"\(name)\":\n\(process.outputTail())")
            }
            return .pending("events so far: \(events.compactMap { $0["event"]?.stringValue })")
        }
    }

    /// Waits until the client exits and returns its `{"result": true, ...}` object; throws with its
    /// output if it exits with another status than 0 or prints no result, or is still running
    /// after `timeout` (it is killed then).
    @discardableResult
    func finish(timeout: Duration = .seconds(30)) async throws -> JSONValue {
        do {
            try await eventually("the \(kind.rawValue) Yjs client exited", timeout: timeout) {
                process.hasFinished ? .done(()) : .pending("still running")
            }
        } catch {
            kill()
            throw YjsClientFailed(kind: kind, status: nil, reason: "still running after \(timeout)", output: process.outputTail())
        }
        let status = process.reapExitCode()
        guard status == 0, let result = lines.all.last(where: { $0["result"] != nil }) else {
            let reason = status == 0 ? "exited with 0 but printed no result" : "exited with \(status.map(String.init) ?? "a signal")"
            throw YjsClientFailed(kind: kind, status: status, reason: reason, output: process.outputTail())
        }
        return result
    }

    /// Sends `signal` to the client (SIGKILL by default: it says no goodbye to the server, which
    /// sees the connection drop) and waits until it has ended. Node and Python end on SIGTERM too.
    func kill(_ signal: Int32 = SIGKILL) {
        process.signalGroup(signal)
        process.reap()
    }

    /// The last lines the client wrote, stdout and stderr together.
    func outputTail(lines count: Int = 30) -> String {
        process.outputTail(lines: count)
    }
}

/// A Yjs client script failed.
struct YjsClientFailed: Error, CustomStringConvertible {
    let kind: YjsClient.Kind
    let status: Int32?
    let reason: String
    let output: String
    var description: String { "the \(kind.rawValue) Yjs client \(reason):\n\(output)" }
}

/// The JSON objects of a client's output lines, in order (other lines are only in its output).
private final class JSONLines: Sendable {
    private let values = Mutex<[JSONValue]>([])

    func append(_ line: String) {
        guard line.hasPrefix("{"), let value = try? JSONValue.parse(line) else { return }
        values.withLock { $0.append(value) }
    }

    var all: [JSONValue] {
        values.withLock { $0 }
    }
}
#endif
