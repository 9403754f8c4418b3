#if os(Linux)
import Foundation
import PartyServer
import PartyServerTesting
import Synchronization

import Glibc

/// A headless Chromium driven over the Chrome DevTools Protocol (CDP), for tests that need a real browser.
///
/// ```swift
/// try await Chromium.withBrowser { browser in
///     let page = try await browser.openPage("http://127.0.0.1:\(port)/", name: "page A")
///     let title = try await page.evaluate("document.title")
/// }
/// ```
///
/// The browser runs in its own process group with a throw-away profile directory; ``close()``
/// (called by ``withBrowser(_:)`` also when the body throws) ends the whole group and deletes
/// the profile.
final class Chromium: Sendable {
    /// Where Debian's `chromium` package installs the browser.
    static let executable = "/usr/bin/chromium"

    /// Whether the browser binary is present.
    static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: executable)
    }

    /// What to tell someone whose machine lacks the browser.
    static let installHint =
        "Chromium is required for the browser tests but \(executable) was not found. "
        + "Install it with `apt-get install -y --no-install-recommends chromium` (Debian/Ubuntu); .ci/run does this on CI."

    /// The command-line flags: headless, no sandbox (the tests run as root in a container), no GPU,
    /// a DevTools port chosen by the OS, and everything that would reach the network or throttle
    /// background tabs turned off.
    static func arguments(profileDirectory: String) -> [String] {
        [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--remote-debugging-port=0",
            "--user-data-dir=\(profileDirectory)",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--password-store=basic",
            "--no-proxy-server",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows",
            "--mute-audio",
            "about:blank",
        ]
    }

    let process: ChildProcess
    let profileDirectory: URL
    /// The browser-level DevTools WebSocket URL, `ws://127.0.0.1:PORT/devtools/browser/ID`.
    let endpoint: String
    let connection: DevToolsConnection

    private init(process: ChildProcess, profileDirectory: URL, endpoint: String, connection: DevToolsConnection) {
        self.process = process
        self.profileDirectory = profileDirectory
        self.endpoint = endpoint
        self.connection = connection
    }

    /// Launches the browser, runs `body`, and always closes the browser afterwards.
    static func withBrowser<T: Sendable>(
        startupTimeout: Duration = .seconds(30),
        _ body: (Chromium) async throws -> T
    ) async throws -> T {
        let browser = try await launch(startupTimeout: startupTimeout)
        let result: T
        do {
            result = try await body(browser)
        } catch {
            await browser.close()
            throw error
        }
        await browser.close()
        return result
    }

    /// Starts Chromium, waits (up to `startupTimeout`) for the `DevTools listening on ws://…` line
    /// on its stderr and connects to that endpoint.
    static func launch(startupTimeout: Duration = .seconds(30)) async throws -> Chromium {
        guard isInstalled else { throw ChromiumError.notInstalled }
        let profileDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("partyserver-chromium-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: profileDirectory, withIntermediateDirectories: true)

        let announced = AnnouncedEndpoint()
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(executable, arguments: arguments(profileDirectory: profileDirectory.path)) { line in
                announced.record(line)
            }
        } catch {
            try? FileManager.default.removeItem(at: profileDirectory)
            throw error
        }

        do {
            let endpoint = try await eventually("Chromium prints 'DevTools listening on ws://…'", timeout: startupTimeout, interval: .milliseconds(20)) {
                () async throws -> PollResult<String> in
                if let endpoint = announced.value { return .done(endpoint) }
                if process.hasExited {
                    throw AbortWaiting(reason: "Chromium exited before announcing its DevTools endpoint; its output:\n\(process.outputTail())")
                }
                return .pending("no DevTools line yet; output so far:\n\(process.outputTail(lines: 10))")
            }
            let socket = try await TestWebSocket.connect(url: endpoint)
            return Chromium(process: process, profileDirectory: profileDirectory, endpoint: endpoint, connection: DevToolsConnection(socket: socket))
        } catch {
            await Self.stop(process, connection: nil)
            await Self.removeProfile(profileDirectory)
            throw error
        }
    }

    /// Opens a new tab, attaches to it (flattened session) and navigates it to `url`.
    ///
    /// Throws if the navigation fails outright (connection refused, DNS…); it does not wait for the page to load.
    func openPage(_ url: String, name: String) async throws -> BrowserPage {
        let created = try await connection.send("Target.createTarget", ["url": "about:blank"])
        guard let targetID = created["targetId"]?.stringValue else {
            throw ChromiumError.unexpectedReply("Target.createTarget", created)
        }
        let attached = try await connection.send("Target.attachToTarget", ["targetId": .string(targetID), "flatten": true])
        guard let sessionID = attached["sessionId"]?.stringValue else {
            throw ChromiumError.unexpectedReply("Target.attachToTarget", attached)
        }
        let page = BrowserPage(name: name, targetID: targetID, sessionID: sessionID, connection: connection)
        // Typed keys reach the focused element even though only one tab can have real focus.
        _ = try await page.send("Emulation.setFocusEmulationEnabled", ["enabled": true])
        let navigated = try await page.send("Page.navigate", ["url": .string(url)])
        if let failure = navigated["errorText"]?.stringValue, !failure.isEmpty {
            throw ChromiumError.navigationFailed(url: url, reason: failure)
        }
        return page
    }

    /// Closes the browser (politely via `Browser.close`, then by signals to its process group),
    /// reaps it and deletes the profile directory. Safe to call more than once.
    func close() async {
        await Self.stop(process, connection: connection)
        await Self.removeProfile(profileDirectory)
    }

    /// Ends the browser's process group: `Browser.close` first (when connected), then SIGTERM, then SIGKILL,
    /// each followed by a deadline-bounded wait for the main process to exit.
    private static func stop(_ process: ChildProcess, connection: DevToolsConnection?) async {
        var steps: [(signal: Int32?, grace: Duration)] = [(SIGTERM, .seconds(5)), (SIGKILL, .seconds(5))]
        if let connection, !process.hasExited {
            _ = try? await connection.send("Browser.close", timeout: .seconds(2))
            steps.insert((nil, .seconds(10)), at: 0)
        }
        for (signal, grace) in steps {
            if let signal { process.signalGroup(signal) }
            let exited = (try? await eventually("Chromium exits", timeout: grace, interval: .milliseconds(25)) {
                () async throws -> PollResult<Bool> in
                process.hasExited ? .done(true) : .pending("still running")
            }) ?? false
            if exited { break }
        }
        // Helpers that outlived the main process (it is still unreaped, so the group id is still ours).
        process.signalGroup(SIGKILL)
        if process.hasExited { process.reap() }
        await connection?.disconnect()
    }

    /// Deletes the profile directory, retrying for a few seconds while exiting helpers may still write to it.
    private static func removeProfile(_ directory: URL) async {
        _ = try? await eventually("the Chromium profile directory is deleted", timeout: .seconds(5), interval: .milliseconds(50)) {
            () async throws -> PollResult<Void> in
            try? FileManager.default.removeItem(at: directory)
            return FileManager.default.fileExists(atPath: directory.path) ? .pending("\(directory.path) still exists") : .done(())
        }
    }
}

/// The endpoint announced on Chromium's stderr, recorded by the output-draining thread.
private final class AnnouncedEndpoint: Sendable {
    private let endpoint = Mutex<String?>(nil)
    private static let marker = "DevTools listening on "

    var value: String? { endpoint.withLock { $0 } }

    func record(_ line: String) {
        guard let range = line.range(of: Self.marker) else { return }
        let url = line[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        endpoint.withLock { if $0 == nil { $0 = url } }
    }
}

/// One browser tab, reached through a flattened CDP session on the browser connection.
struct BrowserPage: Sendable {
    /// A label for error messages ("page A").
    let name: String
    let targetID: String
    let sessionID: String
    let connection: DevToolsConnection

    /// Sends a CDP command to this tab.
    func send(_ method: String, _ params: [String: JSONValue] = [:], timeout: Duration = .seconds(10)) async throws -> JSONValue {
        try await connection.send(method, params, sessionID: sessionID, timeout: timeout)
    }

    /// Evaluates `expression` in the page (promises are awaited) and returns its value as JSON.
    ///
    /// A JavaScript exception is thrown as ``ChromiumError/javaScript(page:message:)``.
    func evaluate(_ expression: String) async throws -> JSONValue {
        let reply = try await send("Runtime.evaluate", [
            "expression": .string(expression),
            "returnByValue": true,
            "awaitPromise": true,
        ])
        if let details = reply["exceptionDetails"] {
            let message = details["exception"]?["description"]?.stringValue ?? details["text"]?.stringValue ?? details.description
            throw ChromiumError.javaScript(page: name, message: message)
        }
        return reply["result"]?["value"] ?? .null
    }

    /// Types `text` into the focused element as if from the keyboard.
    func insertText(_ text: String) async throws {
        _ = try await send("Input.insertText", ["text": .string(text)])
    }

    /// Presses and releases the Enter key.
    func pressEnter() async throws {
        let key: [String: JSONValue] = ["key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13]
        var down = key
        down["type"] = "keyDown"
        down["text"] = "\r"
        var up = key
        up["type"] = "keyUp"
        _ = try await send("Input.dispatchKeyEvent", down)
        _ = try await send("Input.dispatchKeyEvent", up)
    }
}

/// A CDP connection over ``TestWebSocket``: numbered commands, each awaited in turn; events are skipped.
actor DevToolsConnection {
    private let socket: TestWebSocket
    private var lastID = 0
    private var inFlight: String?

    init(socket: TestWebSocket) {
        self.socket = socket
    }

    /// Sends `method` (to the tab of `sessionID`, or to the browser) and returns the reply's `result`.
    ///
    /// Commands are not pipelined: calling this while another command awaits its reply is a test bug and throws.
    func send(
        _ method: String,
        _ params: [String: JSONValue] = [:],
        sessionID: String? = nil,
        timeout: Duration = .seconds(10)
    ) async throws -> JSONValue {
        if let inFlight { throw ChromiumError.overlappingCommands(method, inFlight) }
        inFlight = method
        defer { inFlight = nil }

        lastID += 1
        let id = lastID
        var message: [String: JSONValue] = ["id": .number(Double(id)), "method": .string(method), "params": .object(params)]
        if let sessionID { message["sessionId"] = .string(sessionID) }
        try await socket.send(text: JSONValue.object(message).jsonText)

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { throw ChromiumError.noReply(method, timeout) }
            let text: String
            do {
                text = try await socket.nextText(timeout: remaining)
            } catch TestWebSocketError.timeout {
                throw ChromiumError.noReply(method, timeout)
            }
            let reply = try JSONValue.parse(text)
            guard reply["id"]?.intValue == id else { continue }
            if let error = reply["error"] {
                throw ChromiumError.protocolError(method, error["message"]?.stringValue ?? error.description)
            }
            return reply["result"] ?? [:]
        }
    }

    /// Drops the connection.
    func disconnect() {
        socket.disconnect()
    }
}

/// Failures of the browser driver, worded for test output.
enum ChromiumError: Error, CustomStringConvertible {
    case notInstalled
    case noReply(String, Duration)
    case protocolError(String, String)
    case unexpectedReply(String, JSONValue)
    case overlappingCommands(String, String)
    case navigationFailed(url: String, reason: String)
    case javaScript(page: String, message: String)

    var description: String {
        switch self {
        case .notInstalled:
            return Chromium.installHint
        case .noReply(let method, let timeout):
            return "Chromium did not answer \(method) within \(timeout)"
        case .protocolError(let method, let message):
            return "Chromium refused \(method): \(message)"
        case .unexpectedReply(let method, let reply):
            return "unexpected reply to \(method): \(reply)"
        case .overlappingCommands(let method, let other):
            return "\(method) was sent while \(other) still awaited its reply; DevToolsConnection handles one command at a time"
        case .navigationFailed(let url, let reason):
            return "Chromium could not load \(url): \(reason)"
        case .javaScript(let page, let message):
            return "JavaScript exception in \(page): \(message)"
        }
    }
}
#endif
