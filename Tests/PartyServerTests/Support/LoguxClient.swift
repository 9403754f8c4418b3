import Foundation
import PartyServer
import PartyServerTesting
import Synchronization

/// A Logux protocol-5 client for tests, written from the protocol's description: it connects,
/// sends actions in `sync` messages with compressed ids, and reads what the server sends.
final class LoguxClient: Sendable {
    let socket: TestWebSocket
    let node: String
    /// The `connected` message.
    let connected: JSONValue
    /// The `connected` send time: ids and times on the wire are shifted from it.
    let base: Int

    /// One action the server sent, with its full id and the `added` of its `sync`.
    struct Received: Sendable, CustomStringConvertible {
        var action: JSONValue
        var id: String
        var added: Int
        var type: String { action["type"]?.stringValue ?? "" }
        var description: String { "\(id) \(action)" }
    }

    private init(socket: TestWebSocket, node: String, connected: JSONValue) {
        self.socket = socket
        self.node = node
        self.connected = connected
        self.base = connected.arrayValue?[3].arrayValue?[1].intValue ?? 0
    }

    /// Opens a socket to `path` on `port`, sends `connect` and waits for `connected`.
    static func connect(
        port: Int, path: String, node: String, synced: Int = 0, token: String? = nil, subprotocol: JSONValue? = 1
    ) async throws -> LoguxClient {
        let socket = try await TestWebSocket.connect(port: port, path: path)
        var options: [String: JSONValue] = [:]
        if let token { options["token"] = .string(token) }
        if let subprotocol { options["subprotocol"] = subprotocol }
        try await socket.send(text: JSONValue.array(["connect", 5, .string(node), .number(Double(synced)), .object(options)]).jsonText)
        let answer = try JSONValue.parse(try await socket.nextText())
        guard answer.arrayValue?.first?.stringValue == "connected" else { throw LoguxClientError.refused(answer.jsonText) }
        return LoguxClient(socket: socket, node: node, connected: answer)
    }

    /// The next message as a JSON array.
    func next(timeout: Duration = .seconds(10)) async throws -> [JSONValue] {
        let text = try await socket.nextText(timeout: timeout)
        guard let array = try JSONValue.parse(text).arrayValue else { throw LoguxClientError.notAnArray(text) }
        return array
    }

    /// Sends `actions` (JSON texts) in one `sync`, ids `[shift, seq]` from `sequence` on, and
    /// returns their full ids.
    @discardableResult
    func sync(_ actions: [String], added: Int, sequence: Int) async throws -> [String] {
        let now = Int(Date().timeIntervalSince1970 * 1000)
        var parts = ["\"sync\"", String(added)]
        var ids: [String] = []
        for (offset, action) in actions.enumerated() {
            let seq = sequence + offset
            parts.append(action)
            parts.append("{\"id\":[\(now - base),\(seq)],\"time\":\(now - base)}")
            ids.append("\(now) \(node) \(seq)")
        }
        try await socket.send(text: "[" + parts.joined(separator: ",") + "]")
        return ids
    }

    /// Sends one action and waits for the `synced` answer; returns its full id.
    @discardableResult
    func add(_ action: String, added: Int, sequence: Int) async throws -> String {
        let id = try await sync([action], added: added, sequence: sequence)[0]
        var seenSynced = false
        while !seenSynced {
            let message = try await next()
            if message.first?.stringValue == "synced" { seenSynced = message[1].intValue == added } else { pending.withLock { $0.append(message) } }
        }
        return id
    }

    private let pending = Mutex<[[JSONValue]]>([])

    /// Reads `sync` messages (answering each with `synced`) until `count` actions arrived;
    /// other messages are returned too, in `others`.
    func receive(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [Received] {
        var received: [Received] = []
        var queued = pending.withLock { queue in
            defer { queue.removeAll() }
            return queue
        }
        while received.count < count {
            let message = queued.isEmpty ? try await next(timeout: timeout) : queued.removeFirst()
            guard message.first?.stringValue == "sync", let added = message[1].intValue else { continue }
            var index = 2
            while index + 1 < message.count {
                received.append(Received(action: message[index], id: try fullID(message[index + 1]["id"]), added: added))
                index += 2
            }
            try await socket.send(text: "[\"synced\",\(added)]")
        }
        return received
    }

    /// Expands a wire id: `shift`, `[shift, seq]` (the server's node) or `[shift, node, seq]`.
    func fullID(_ wire: JSONValue?) throws -> String {
        let serverNode = connected.arrayValue?[2].stringValue ?? ""
        switch wire {
        case .number(let shift): return "\(Int(shift) + base) \(serverNode) 0"
        case .array(let parts) where parts.count == 2:
            return "\((parts[0].intValue ?? 0) + base) \(serverNode) \(parts[1].intValue ?? 0)"
        case .array(let parts) where parts.count == 3:
            return "\((parts[0].intValue ?? 0) + base) \(parts[1].stringValue ?? "") \(parts[2].intValue ?? 0)"
        default: throw LoguxClientError.badID(wire?.jsonText ?? "nil")
        }
    }

    /// The highest `added` received so far is what the next `connect` reports.
    func close() async throws { try await socket.close() }
}

enum LoguxClientError: Error {
    case refused(String)
    case notAnArray(String)
    case badID(String)
}
