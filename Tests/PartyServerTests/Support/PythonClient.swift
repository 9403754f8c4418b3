#if os(Linux)
import Foundation

/// Runs a client script of `Tests/Python` on Python 3 and reads the JSON object it prints.
enum PythonClient {
    /// `Tests/Python` in this checkout.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Python")

    /// What to do when a module is missing (`Scripts/test` installs them).
    static let installHint = "run Scripts/test, which installs the Python packages the tests use, or: python3 -m pip install websockets"

    /// Whether `python3` can import `module`.
    static func canImport(_ module: String) async throws -> Bool {
        let process = try ChildProcess.spawn("/usr/bin/env", arguments: ["python3", "-c", "import \(module)"])
        try await eventually("python3 checked for \(module)", timeout: .seconds(30)) {
            process.hasExited ? .done(()) : .pending("still running")
        }
        return process.reapExitCode() == 0
    }

    /// Runs `script` with `arguments`; returns the JSON object of its last output line, or throws
    /// with its output when it fails or prints none.
    static func run(_ script: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> JSONValue {
        let path = directory.appendingPathComponent(script).path
        let process = try ChildProcess.spawn("/usr/bin/env", arguments: ["python3", path] + arguments)
        try await eventually("\(script) finished", timeout: timeout) {
            process.hasExited ? .done(()) : .pending("still running")
        }
        let status = process.reapExitCode()
        let output = process.outputText
        guard status == 0, let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw PythonClientFailed(script: script, status: status, output: process.outputTail())
        }
        return try JSONValue.parse(String(line))
    }
}

/// A Python client script failed.
struct PythonClientFailed: Error, CustomStringConvertible {
    let script: String
    let status: Int32?
    let output: String
    var description: String { "\(script) exited with \(status.map(String.init) ?? "a signal"):\n\(output)" }
}
#endif
