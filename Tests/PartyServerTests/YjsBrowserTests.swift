#if os(Linux)
import Foundation
import Glibc
import PartyServerTesting
import Synchronization
import Testing

/// `Examples/YjsNotes` in headless Chromium: its page loads Debian's Yjs and y-websocket as ES
/// modules from the example server and edits one text with a Node client.
@Suite("Yjs notes page in a real browser")
struct YjsBrowserTests {
    /// Starts the example executable on a free port; returns it and the port.
    func startExample(dataDirectory: String) async throws -> (ChildProcess, Int) {
        let executable = URL(fileURLWithPath: partyserverExecutable).deletingLastPathComponent().appendingPathComponent("yjs-notes-example").path
        let port = Mutex<Int?>(nil)
        let process = try ChildProcess.spawn(executable, arguments: [], environment: ["PORT": "0", "DATA_DIR": dataDirectory, "EXPORT_DIR": dataDirectory]) { line in
            guard let range = line.range(of: "listening on http://127.0.0.1:") else { return }
            port.withLock { $0 = Int(line[range.upperBound...].prefix { $0.isNumber }) }
        }
        try await waitUntil(timeout: .seconds(30), "the example logged its URL") { port.withLock { $0 } != nil || process.hasExited }
        guard let bound = port.withLock({ $0 }) else {
            process.signalGroup(SIGKILL)
            process.reap()
            throw SpawnError(executable: executable, reason: "exited early:\n\(process.outputTail())")
        }
        return (process, bound)
    }

    /// Waits until `expression` evaluates to true on `page`.
    func waitFor(_ what: String, _ expression: String, on page: BrowserPage) async throws {
        try await eventually(what, timeout: .seconds(20)) { () throws -> PollResult<Void> in
            try await page.evaluate(expression).boolValue == true ? .done(()) : .pending("not yet")
        }
    }

    @Test("the page syncs, its typing reaches a Node client, and the Node client's edit shows in the page", .timeLimit(.minutes(2)))
    func pageAndNodeClient() async throws {
        try #require(Chromium.isInstalled, "\(Chromium.installHint)")
        try #require(await YjsClient.available(.node), "\(YjsClient.installHint)")
        let directory = temporaryDataDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (process, port) = try await startExample(dataDirectory: directory)
        defer {
            process.signalGroup(SIGKILL)
            process.reap()
        }
        let room = uniqueRoom("page")
        try await Chromium.withBrowser { browser in
            let page = try await browser.openPage("http://127.0.0.1:\(port)/?room=\(room)", name: "notes")
            try await waitFor("the page synced", "window.notes !== undefined && window.notes.synced === true", on: page)
            _ = try await page.evaluate("""
                (() => {
                    const area = document.getElementById("text");
                    area.value = "typed in the browser";
                    area.dispatchEvent(new Event("input"));
                    return true;
                })()
                """)
            let node = try YjsClient.start(.node, port: port, room: room, party: "notes", arguments: ["--insert", " + node", "--expect-text", "typed in the browser + node", "--confirm"])
            try await node.finish()
            try await waitFor("the page shows the Node client's edit", #"document.getElementById("text").value === "typed in the browser + node""#, on: page)
        }
    }
}
#endif
