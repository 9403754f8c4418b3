import Foundation
import PartyServer
import PartyServerTesting
import Testing

/// A malformed request (usually an upgrade) and the HTTP status it must get.
struct HandshakeCase: Sendable, CustomTestStringConvertible {
    let name: String
    let status: Int
    /// Whether the request target carries the case's marker; otherwise the log line is found by
    /// the client's address.
    var markedTarget = true
    /// The request bytes for a marker (the room name).
    let request: @Sendable (_ marker: String) -> [UInt8]

    var testDescription: String { "\(name) → \(status)" }

    private static func upgrade(_ marker: String, method: String = "GET", version: String = "HTTP/1.1", drop: [String] = [], add: [String] = []) -> [UInt8] {
        var lines = [
            "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
        ]
        lines.removeAll { line in drop.contains { line.lowercased().hasPrefix($0.lowercased() + ":") } }
        let head = "\(method) /parties/probe/\(marker) \(version)\r\n" + (lines + add).map { $0 + "\r\n" }.joined() + "\r\n"
        return Array(head.utf8)
    }

    /// Upgrade requests that break RFC 6455 §4.1: refused before any routing.
    static let upgrades: [HandshakeCase] = [
        HandshakeCase(name: "missing Sec-WebSocket-Key", status: 400) { upgrade($0, drop: ["Sec-WebSocket-Key"]) },
        HandshakeCase(name: "Sec-WebSocket-Key not 16 bytes in base64", status: 400) {
            upgrade($0, drop: ["Sec-WebSocket-Key"], add: ["Sec-WebSocket-Key: abc"])
        },
        HandshakeCase(name: "two Sec-WebSocket-Key fields", status: 400) { upgrade($0, add: ["Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="]) },
        HandshakeCase(name: "Sec-WebSocket-Version 8", status: 426) {
            upgrade($0, drop: ["Sec-WebSocket-Version"], add: ["Sec-WebSocket-Version: 8"])
        },
        HandshakeCase(name: "missing Sec-WebSocket-Version", status: 426) { upgrade($0, drop: ["Sec-WebSocket-Version"]) },
        HandshakeCase(name: "Upgrade: websocket without a Connection field", status: 400) { upgrade($0, drop: ["Connection"]) },
        HandshakeCase(name: "Connection: keep-alive instead of Upgrade", status: 400) {
            upgrade($0, drop: ["Connection"], add: ["Connection: keep-alive"])
        },
        HandshakeCase(name: "POST with an upgrade", status: 400) { upgrade($0, method: "POST", add: ["Content-Length: 0"]) },
        HandshakeCase(name: "HTTP/1.0 upgrade", status: 400) { upgrade($0, version: "HTTP/1.0") },
        HandshakeCase(name: "upgrade to an unknown server", status: 404) {
            Array(RawWebSocket.upgradeRequest("/parties/nowhere/\($0)").utf8)
        },
        HandshakeCase(name: "upgrade outside the prefix", status: 404) {
            Array(RawWebSocket.upgradeRequest("/elsewhere/\($0)").utf8)
        },
    ]

    /// Bytes that are not an HTTP request at all.
    static let garbage: [HandshakeCase] = [
        HandshakeCase(name: "TLS ClientHello on the plain port", status: 400, markedTarget: false) { _ in
            [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03] + Array(repeating: 0x42, count: 64)
        },
        HandshakeCase(name: "garbage request line", status: 400, markedTarget: false) { _ in Array("HELLO THERE\r\n\r\n".utf8) },
        HandshakeCase(name: "control bytes in the request line", status: 400, markedTarget: false) { _ in
            Array("GET /parties/probe/a".utf8) + [0x00, 0x01] + Array("b HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        },
        HandshakeCase(name: "header line without a colon", status: 400, markedTarget: false) { _ in
            Array("GET /parties/probe/a HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n".utf8)
        },
    ]
}

extension BadInputTests {
    @Test("malformed upgrade requests and non-HTTP bytes get their status, then the connection ends", arguments: HandshakeCase.upgrades + HandshakeCase.garbage)
    func malformedRequests(_ handshakeCase: HandshakeCase) async throws {
        try await BadInputHarness.run { harness in
            let marker = Self.marker("handshake")
            let (answer, remote) = try await RawHTTPAnswer.exchange(port: harness.port, handshakeCase.request(marker))
            #expect(answer.status == handshakeCase.status, "\(handshakeCase.name): \(answer)")
            #expect(answer.closed, "\(handshakeCase.name): the server kept the connection open after \(answer)")
            if handshakeCase.status == 426 {
                #expect(answer.header("Sec-WebSocket-Version") == "13", "\(answer)")
            }
            #expect(answer.header("Connection")?.lowercased() == "close", "\(answer)")
            try await harness.expectOneLine(mentioning: handshakeCase.markedTarget ? marker : remote)
            #expect(Probe.initCount(marker) == 0)
        }
    }

    @Test("a request cut off before its end and then hung up is dropped with one debug line and no answer", arguments: [
        ("request line", "GET /parties/probe/MARK HTT"),
        ("headers", "GET /parties/probe/MARK HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgr"),
        ("upgrade without its blank line", "GET /parties/probe/MARK HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"),
        ("body", "POST /parties/probe/MARK HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nonly part of the body"),
    ])
    func partialRequests(cutIn part: String, request: String) async throws {
        try await BadInputHarness.run { harness in
            let marker = Self.marker("partial")
            let connection = try await RawConnection.connect(port: harness.port)
            let remote = "127.0.0.1:\(connection.localPort ?? 0)"
            try await connection.write(request.replacingOccurrences(of: "MARK", with: marker))
            try await harness.witness.progressed()
            connection.close()
            try await waitUntil("the connection closed") { connection.isClosed }
            try await harness.expectOneLine(mentioningAnyOf: [remote, marker], level: .debug)
            #expect(connection.text.isEmpty, "answered a partial request: \(connection.text)")
            #expect(Probe.initCount(marker) == 0)
        }
    }
}
