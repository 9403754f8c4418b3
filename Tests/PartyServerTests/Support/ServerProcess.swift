import Foundation
import GRDB
import PartyServerTesting
import Synchronization
import Testing

#if os(Linux)
import Glibc

/// The `partyserver` executable built beside the test bundle.
var partyserverExecutable: String {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("partyserver").path
}

/// Starts `partyserver` on a free port with `arguments`; returns the process and its port once it
/// listens (or throws with its output when it exits first).
func startPartyServerProcess(_ arguments: [String]) async throws -> (ChildProcess, Int) {
    let port = Mutex<Int?>(nil)
    let process = try ChildProcess.spawn(partyserverExecutable, arguments: ["--port", "0", "--log-level", "notice"] + arguments) { line in
        guard let range = line.range(of: "listening on http://127.0.0.1:") else { return }
        port.withLock { $0 = Int(line[range.upperBound...].prefix { $0.isNumber }) }
    }
    do {
        try await waitUntil(timeout: .seconds(30), "the server logged its URL") { port.withLock { $0 } != nil || process.hasExited }
    } catch {
        process.signalGroup(SIGKILL)
        process.reap()
        throw error
    }
    guard let bound = port.withLock({ $0 }) else {
        throw SpawnError(executable: partyserverExecutable, reason: "exited early:\n\(process.outputTail())")
    }
    return (process, bound)
}

/// Stops `process` with `signal`: SIGTERM waits for a clean exit (status 0), SIGKILL for the end.
func stop(_ process: ChildProcess, with signal: Int32) async throws {
    process.signalGroup(signal)
    guard signal == SIGTERM else {
        process.reap()
        return
    }
    do {
        try await waitUntil(timeout: .seconds(20), "the server exited after SIGTERM") { process.hasExited }
    } catch {
        process.signalGroup(SIGKILL)
        process.reap()
        throw error
    }
    #expect(process.reapExitCode() == 0, "output:\n\(process.outputTail())")
}

/// The stored control record of `server/room` in the database of `dataDirectory`, as JSON text.
func storedControlRecord(dataDirectory: String, server: String, room: String) throws -> String? {
    var configuration = Configuration()
    configuration.readonly = true
    let database = try DatabaseQueue(path: dataDirectory + "/rooms.sqlite", configuration: configuration)
    defer { try? database.close() }
    return try database.read { db in
        try Data.fetchOne(
            db, sql: "SELECT record FROM control_rooms WHERE server = CAST(? AS TEXT) AND room = CAST(? AS TEXT)",
            arguments: [Data(server.utf8), Data(room.utf8)]
        )
    }
    .map { String(decoding: $0, as: UTF8.self) }
}
#endif
