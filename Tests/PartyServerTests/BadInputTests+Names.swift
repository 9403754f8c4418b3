import Foundation
import PartyServer
import PartyServerTesting
import Testing

/// A room name as it appears in the path, and what the server must make of it.
struct NameCase: Sendable, CustomTestStringConvertible {
    /// The path segment, percent-encoded as sent.
    let raw: String
    /// The decoded name for a legal name, `nil` for a name refused with 400.
    let decoded: String?
    /// Put the case marker in front of the name (for names too long to find in a log line otherwise).
    var markerInName = false

    var testDescription: String {
        let shown = raw.count > 40 ? "\(raw.prefix(24))… (\(raw.count) characters)" : raw
        return decoded == nil ? "\(shown) → 400" : "\(shown) → room \(decoded!.debugDescription)"
    }

    /// The path of a request for this name, marked with `marker`.
    func path(_ marker: String) -> String {
        markerInName ? "/parties/probe/\(marker)\(raw)" : "/parties/probe/\(raw)?case=\(marker)"
    }

    /// Names that look like paths but are legal room names (stored only as data, see `DataDirectoryTests`).
    static let legal: [NameCase] = [
        NameCase(raw: "..", decoded: ".."),
        NameCase(raw: "%2E%2E", decoded: ".."),
        NameCase(raw: "%2e%2e", decoded: ".."),
        NameCase(raw: ".", decoded: "."),
        NameCase(raw: "..%5C..%5Cwindows", decoded: "..\\..\\windows"),
        NameCase(raw: "%E2%80%AE", decoded: "\u{202E}"),
    ]

    /// Names refused with 400: a slash or a control character after decoding, a malformed
    /// escape, invalid UTF-8, or more than 128 characters.
    static let refused: [NameCase] = [
        NameCase(raw: "%2F", decoded: nil),
        NameCase(raw: "%2f", decoded: nil),
        NameCase(raw: "..%2F..%2Fetc%2Fpasswd", decoded: nil),
        NameCase(raw: "%2E%2E%2F", decoded: nil),
        NameCase(raw: "%00", decoded: nil),
        NameCase(raw: "a%00b", decoded: nil),
        NameCase(raw: "%0D%0A", decoded: nil),
        NameCase(raw: "%7F", decoded: nil),
        NameCase(raw: "%C2%80", decoded: nil),
        NameCase(raw: "%ZZ", decoded: nil),
        NameCase(raw: "%", decoded: nil),
        NameCase(raw: "%C3", decoded: nil),
        NameCase(raw: "%C0%AE", decoded: nil),
        NameCase(raw: "%ED%A0%80", decoded: nil),
        NameCase(raw: String(repeating: "n", count: 10_000), decoded: nil, markerInName: true),
        // 2,000 two-byte characters, 12,000 bytes encoded: under the 16 KiB head limit (a longer
        // target gets 431 first, see `LimitTests`).
        NameCase(raw: String(repeating: "%C3%A9", count: 2_000), decoded: nil, markerInName: true),
    ]
}

extension BadInputTests {
    @Test("names refused with 400, over HTTP and as an upgrade, with one log line each and no room started", arguments: NameCase.refused)
    func refusedNames(_ nameCase: NameCase) async throws {
        try await BadInputHarness.run { harness in
            let httpMarker = Self.marker("name-http")
            let response = try await harness.server.request("GET", nameCase.path(httpMarker))
            #expect(response.status == 400, "\(response.text.prefix(200))")
            #expect(response.text.contains("room name"), "\(response.text.prefix(200))")
            try await harness.expectOneLine(mentioning: httpMarker)

            let upgradeMarker = Self.marker("name-ws")
            let answer = try await RawHTTPAnswer.exchange(port: harness.port, RawWebSocket.upgradeRequest(nameCase.path(upgradeMarker)))
            #expect(answer.status == 400, "\(answer)")
            #expect(answer.text.contains("room name"), "\(answer)")
            try await harness.expectOneLine(mentioning: upgradeMarker)
            #expect(harness.server.application.registry?.slotCount == 1, "only the witness room may exist")
        }
    }

    @Test("names that look like paths are ordinary rooms over HTTP and WebSocket", arguments: NameCase.legal)
    func legalNames(_ nameCase: NameCase) async throws {
        try await BadInputHarness.run { harness in
            let httpMarker = Self.marker("name-http")
            let response = try await harness.server.request("GET", nameCase.path(httpMarker))
            #expect(response.status == 200)
            let body = try JSONValue.parse(response.text)
            #expect(body["name"] == .string(nameCase.decoded ?? ""), "\(response.text)")

            let upgradeMarker = Self.marker("name-ws")
            let socket = try await RawWebSocket.open(port: harness.port, path: nameCase.path(upgradeMarker) + "&_pk=\(upgradeMarker)")
            try await socket.waitForFrame("the welcome message") { $0.opcode == WireFrame.text && $0.text == "welcome:\(upgradeMarker)" }
            try await socket.sendFrame(WireFrame.text, Array("echo:same room".utf8))
            try await socket.waitForFrame("the echo") { $0.text == "same room" }
            try await socket.sendFrame(WireFrame.close, WireFrame.closePayload(code: 1000))
            #expect(try await socket.waitForClose(answer: false).code == 1000)
            let decoded = try #require(nameCase.decoded)
            #expect(Recorder.shared.events(decoded).contains { $0.hasPrefix("connect \(upgradeMarker) ") })
            #expect(harness.log.lines(mentioning: httpMarker).isEmpty)
            #expect(harness.log.lines(mentioning: upgradeMarker).isEmpty)
            try await harness.witness.progressed()
        }
    }
}
