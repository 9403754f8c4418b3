#if os(Linux)
import Foundation
import PartyRooms
import PartyServer
import PartyServerTesting
import Testing

/// Drives the demo page (`GET /`) in headless Chromium: two tabs join the same chat room and talk.
@Suite("Demo page in a real browser")
struct BrowserTests {
    @Test("Two tabs of the demo page chat through the Chat room", .timeLimit(.minutes(2)))
    func twoTabsChat() async throws {
        try #require(Chromium.isInstalled, "\(Chromium.installHint)")
        let room = "browser-\(UUID().uuidString.prefix(8).lowercased())"

        try await PartyTestServer.withServer({ try ReadyMadeRooms.register(in: $0) }) { server in
            try await Chromium.withBrowser { browser in
                let url = "http://127.0.0.1:\(server.port)/?room=\(room)"
                let pageA = try await browser.openPage(url, name: "page A")
                let pageB = try await browser.openPage(url, name: "page B")
                let shownA = try await waitUntilConnected(pageA)
                let shownB = try await waitUntilConnected(pageB)
                #expect(shownA.room == room)
                #expect(shownB.room == room)

                // A: set the input and click the send button.
                let fromA = #"Hello from A ✓ "quoted" <b>not bold</b>"#
                let accepted = try await pageA.evaluate("""
                    (() => {
                        const input = document.getElementById("message");
                        input.value = \(JSONValue.string(fromA).jsonText);
                        document.getElementById("send").click();
                        return input.value === "";
                    })()
                    """)
                try #require(accepted == true, "page A did not send: its input still holds the text after clicking #send")
                try await waitForMessage(fromA, own: false, on: pageB)

                // B: type into the input and press Enter.
                let fromB = "Reply from B, typed and sent with Enter"
                _ = try await pageB.evaluate(#"document.getElementById("message").focus()"#)
                try await pageB.insertText(fromB)
                try await pageB.pressEnter()
                try await waitForMessage(fromB, own: false, on: pageA)

                // Each side shows both messages once, its own marked as own.
                let finalA = try await PageState.read(pageA)
                let finalB = try await PageState.read(pageB)
                #expect(finalA.messages == [.init(text: fromA, own: true), .init(text: fromB, own: false)])
                #expect(finalB.messages == [.init(text: fromA, own: false), .init(text: fromB, own: true)])
            }
        }
    }

    @Test("The browser negotiates permessage-deflate with the echo room and messages round-trip", .timeLimit(.minutes(2)))
    func browserCompression() async throws {
        try #require(Chromium.isInstalled, "\(Chromium.installHint)")
        try await PartyTestServer.withServer({ try ReadyMadeRooms.register(in: $0) }) { server in
            try await Chromium.withBrowser { browser in
                let page = try await browser.openPage("http://127.0.0.1:\(server.port)/", name: "echo page")
                let result = try await page.evaluate("""
                    new Promise((resolve, reject) => {
                        const ws = new WebSocket(`ws://${location.host}/parties/echo/browser`);
                        ws.binaryType = "arraybuffer";
                        const text = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ id: i, name: "ü" + i })));
                        const binary = new Uint8Array(40000).map((_, i) => i % 7);
                        const echoes = [];
                        ws.onopen = () => { ws.send(text); ws.send(binary); ws.send("tiny"); };
                        ws.onmessage = (event) => {
                            echoes.push(event.data);
                            if (echoes.length < 3) return;
                            const back = new Uint8Array(echoes[1]);
                            resolve({
                                extensions: ws.extensions,
                                text: echoes[0] === text,
                                binary: back.length === binary.length && back.every((byte, i) => byte === binary[i]),
                                tiny: echoes[2] === "tiny",
                            });
                            ws.close();
                        };
                        ws.onerror = () => reject(new Error("WebSocket error"));
                        setTimeout(() => reject(new Error("no echo within 20 s")), 20000);
                    })
                    """)
                #expect(result["extensions"]?.stringValue == "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
                #expect(result["text"]?.boolValue == true)
                #expect(result["binary"]?.boolValue == true)
                #expect(result["tiny"]?.boolValue == true)
            }
        }
    }

    /// Waits until `page` shows the connected status; returns what it showed.
    private func waitUntilConnected(_ page: BrowserPage) async throws -> PageState {
        try await eventually("\(page.name) shows the connected status", timeout: .seconds(15), interval: .milliseconds(50)) {
            let state = try await PageState.read(page)
            return state.status == "open" ? .done(state) : .pending(state.summary)
        }
    }

    /// Waits until `page`'s message list holds `text` (marked own or not as given).
    private func waitForMessage(_ text: String, own: Bool, on page: BrowserPage) async throws {
        try await eventually("\(page.name) lists the message \(text.debugDescription)", timeout: .seconds(15), interval: .milliseconds(50)) {
            let state = try await PageState.read(page)
            return state.messages.contains(.init(text: text, own: own)) ? .done(()) : .pending(state.summary)
        }
    }
}

/// What the demo page shows, read from its DOM through stable element ids.
struct PageState: Sendable {
    struct Item: Sendable, Equatable, CustomStringConvertible {
        var text: String
        var own: Bool
        var description: String { "\(own ? "own" : "received"): \(text.debugDescription)" }
    }

    /// `#status[data-state]`: `connecting`, `open` or `closed` (nil if there is no such element).
    var status: String?
    var statusText: String?
    var room: String?
    var messages: [Item]

    var summary: String {
        "status=\(status ?? "nil") (\((statusText ?? "").debugDescription)), room=\(room ?? "nil"), messages=\(messages)"
    }

    static let snapshotScript = """
        (() => {
            const status = document.getElementById("status");
            const room = document.getElementById("room");
            const items = Array.from(document.querySelectorAll("#messages li"));
            return {
                status: status ? status.dataset.state : null,
                statusText: status ? status.textContent : null,
                room: room ? room.textContent : null,
                messages: items.map(li => ({ text: li.textContent, own: li.dataset.own === "true" })),
            };
        })()
        """

    static func read(_ page: BrowserPage) async throws -> PageState {
        let value = try await page.evaluate(snapshotScript)
        let messages = (value["messages"]?.arrayValue ?? []).map { item in
            Item(text: item["text"]?.stringValue ?? "", own: item["own"]?.boolValue ?? false)
        }
        return PageState(
            status: value["status"]?.stringValue,
            statusText: value["statusText"]?.stringValue,
            room: value["room"]?.stringValue,
            messages: messages
        )
    }
}
#endif
