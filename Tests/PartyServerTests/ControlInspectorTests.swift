#if os(Linux)
import Foundation
import PartyServer
import PartyServerTesting
import Testing

/// Drives the control API's inspector page (`GET /_party/`) in headless Chromium.
@Suite("Control: inspector in a real browser")
struct ControlInspectorTests {
    @Test("the inspector lists rooms live with their connections, and shows terminated when a room is terminated", .timeLimit(.minutes(2)))
    func inspectorShowsRooms() async throws {
        try #require(Chromium.isInstalled, "\(Chromium.installHint)")
        try await withControlServer { server in
            let early = try await server.connect(["server": "session", "key": "before-page", "spawn": [:]])
            let earlyName = try #require(early["name"]?.stringValue)
            let earlySocket = try await server.webSocket(answer: early)
            #expect(try await earlySocket.nextText() == "hello - -")

            try await Chromium.withBrowser { browser in
                let page = try await browser.openPage("http://127.0.0.1:\(server.port)/_party/?key=\(controlKey)", name: "inspector")
                try await waitForRow(on: page, "session/\(earlyName)", "the room created before the page, ready with one connection") {
                    $0.status == "ready" && $0.connections == "1" && $0.key == "before-page"
                }
                try await eventually("the page status stream is open", timeout: .seconds(15)) { () async throws -> PollResult<Void> in
                    let feed = try await page.evaluate(#"document.getElementById("feed").dataset.state"#).stringValue
                    return feed == "open" ? .done(()) : .pending("feed \(feed ?? "nil")")
                }

                // A room created while the page is open appears.
                let late = try await server.connect(["server": "session", "spawn": [:]])
                let lateName = try #require(late["name"]?.stringValue)
                try await waitForRow(on: page, "session/\(lateName)", "the room created after the page loaded, ready") { $0.status == "ready" }

                // Terminated through the API: the page shows it.
                _ = try await server.control("POST", "/rooms/session/\(lateName)/terminate", json: [:])
                try await waitForRow(on: page, "session/\(lateName)", "the API-terminated room as terminated") {
                    $0.status == "terminated" && $0.text.contains("external")
                }

                // Terminated hard through the API: the page says so.
                let hardOne = try await server.connect(["server": "session", "spawn": [:]])
                let hardName = try #require(hardOne["name"]?.stringValue)
                try await waitForRow(on: page, "session/\(hardName)", "the second room, ready") { $0.status == "ready" }
                _ = try await server.control("POST", "/rooms/session/\(hardName)/terminate", json: ["hard": true])
                try await waitForRow(on: page, "session/\(hardName)", "the hard-terminated room as terminated (hard)") {
                    $0.status == "terminated" && $0.text.contains("external (hard)")
                }

                // Terminated from the page: the operator's button closes the room's connection.
                let clicked = try await page.evaluate("""
                    (() => {
                        const row = document.querySelector('tr[data-room="session/\(earlyName)"]');
                        const button = row && row.querySelector("button.terminate");
                        if (!button) return false;
                        button.click();
                        return true;
                    })()
                    """)
                try #require(clicked == true, "the row of session/\(earlyName) has no Terminate button")
                #expect(try await earlySocket.waitForClose().code == 1001)
                try await waitForRow(on: page, "session/\(earlyName)", "the room terminated from the page as terminated") {
                    $0.status == "terminated"
                }
                #expect(try await server.roomStatus("session", earlyName)["termination_reason"] == "external")
            }
        }
    }

    /// What the inspector shows for one room.
    struct Row: Sendable, CustomStringConvertible {
        var status: String?
        var text: String
        var connections: String
        var key: String
        var description: String { "status=\(status ?? "nil") text=\(text.debugDescription) connections=\(connections) key=\(key)" }
    }

    /// Waits until the inspector's row of `room` satisfies `condition`.
    private func waitForRow(on page: BrowserPage, _ room: String, _ what: String, _ condition: @escaping @Sendable (Row) -> Bool) async throws {
        try await eventually("the inspector shows \(what)", timeout: .seconds(20), interval: .milliseconds(50)) { () async throws -> PollResult<Void> in
            let value = try await page.evaluate("""
                (() => {
                    const row = document.querySelector('tr[data-room="\(room)"]');
                    if (!row) return null;
                    return {
                        status: row.dataset.status || null,
                        text: row.querySelector("td.status").textContent,
                        connections: row.querySelector("td.connections").textContent,
                        key: row.querySelector("td.key").textContent,
                    };
                })()
                """)
            guard value != .null else { return .pending("no row for \(room)") }
            let row = Row(
                status: value["status"]?.stringValue, text: value["text"]?.stringValue ?? "",
                connections: value["connections"]?.stringValue ?? "", key: value["key"]?.stringValue ?? ""
            )
            return condition(row) ? .done(()) : .pending(row.description)
        }
    }
}
#endif
