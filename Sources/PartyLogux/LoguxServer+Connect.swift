import Foundation
import PartyRuntime
import PartyServer

extension LoguxServer {
    /// Starts a session for `connection` and gives it `LoguxOptions.connectTimeout` to send
    /// `connect`. Call it from `onConnect` when you override it.
    public func loguxConnect(_ connection: Connection) async throws {
        try await loguxStart()
        try connection.setState(LoguxSession())
        let clock = room.services.clock
        let deadline = clock.now.addingTimeInterval(Self.seconds(Self.loguxOptions.connectTimeout))
        let milliseconds = Int64(Self.seconds(Self.loguxOptions.connectTimeout) * 1000)
        Task { [weak connection] in
            try? await clock.sleep(until: deadline)
            guard let connection, connection.status == .open, connection.state(as: LoguxSession.self)?.node == nil else { return }
            connection.send(text: LoguxMessage.error("timeout", .number(Double(milliseconds))))
            connection.close(code: CloseCode.normal, reason: "timeout")
        }
    }

    /// Handles one message of the Logux protocol from `connection`. Call it from `onMessage`
    /// when you override it.
    public func loguxReceive(_ connection: Connection, _ message: Message) async throws {
        try await loguxStart()
        // A type whose own onConnect did not call loguxConnect still gets a session.
        var session = connection.state(as: LoguxSession.self) ?? LoguxSession()
        guard let text = message.text else {
            connection.send(text: LoguxMessage.error("wrong-format", .string("a binary frame; Logux messages are JSON text")))
            return
        }
        let parsed: LoguxMessage
        do {
            parsed = try LoguxMessage.parse(text)
        } catch {
            switch error {
            case .wrongFormat: connection.send(text: LoguxMessage.error("wrong-format", message: text))
            case .unknownMessage(let name): connection.send(text: LoguxMessage.error("unknown-message", .string(name)))
            }
            return
        }
        switch parsed {
        case .headers(let fields):
            session.headers = Self.strings(fields)
            try connection.setState(session)
            return
        case .error(let type, _):
            logRemote(error: type, connection)
            return
        case .debug(let type, let data):
            logDebug(type, data, connection)
            return
        default: break
        }
        guard let node = session.node else {
            if case .connect(let version, let node, let synced, let options) = parsed {
                try await connect(connection, session: session, version: version, node: node, synced: synced, options: options)
            } else {
                connection.send(text: LoguxMessage.error("missed-auth", message: text))
            }
            return
        }
        switch parsed {
        case .connect: connection.send(text: LoguxMessage.error("wrong-format", message: text))
        case .ping: connection.send(text: "[\"pong\",\(logux.lastAdded)]")
        case .pong, .headers, .error, .debug: break
        case .sync(let added, let pairs): try await receiveSync(connection, session: session, node: node, added: added, pairs: pairs, text: text)
        case .synced(let position):
            if var progress = logux.progress[connection.id], position > progress.synced {
                progress.synced = position
                logux.progress[connection.id] = progress
            }
        }
    }

    /// Records where the node of `connection` stopped, so the log knows what it still needs.
    /// Call it from `onClose` when you override it.
    public func loguxClose(_ connection: Connection) async throws {
        try await loguxStart()
        guard let session = connection.state(as: LoguxSession.self), let node = session.node else { return }
        // After a hibernation the closing connection may not be among those whose nodes came back.
        var record = logux.nodes[node] ?? LoguxNodeRecord()
        if logux.nodes[node] == nil, let stored = try await log.record(node) { record = stored }
        record.position = max(record.position, position(of: connection, node: node))
        logux.progress[connection.id] = nil
        record.seen = nowMilliseconds
        try await log.save(record, for: node)
        let stillHere = room.connections().contains { $0 !== connection && $0.state(as: LoguxSession.self)?.node == node }
        if stillHere {
            logux.nodes[node] = record
        } else {
            logux.nodes[node] = nil
        }
    }

    /// Up to which log position the node of `connection` has everything addressed to it: the
    /// newest one when it confirmed all it was sent, else what it confirmed (after a
    /// hibernation, when that is not known, the node's stored position).
    func position(of connection: Connection, node: String) -> Int64 {
        guard let progress = logux.progress[connection.id] else { return logux.nodes[node]?.position ?? 0 }
        return progress.synced >= progress.sent ? logux.lastAdded : progress.synced
    }

    private func connect(
        _ connection: Connection, session: LoguxSession, version: Int64, node rawNode: String, synced: Int64, options: [String: AnyJSON]
    ) async throws {
        let start = nowMilliseconds
        guard let node = LoguxNodeID(rawNode) else {
            connection.send(text: LoguxMessage.error("wrong-format", .string("the node id must be 1-256 bytes without spaces or control characters")))
            connection.close(code: CloseCode.normal, reason: "wrong-format")
            return
        }
        guard version >= LoguxMessage.protocolVersion else {
            connection.send(text: LoguxMessage.error("wrong-protocol", .object(["supported": .number(Double(LoguxMessage.protocolVersion)), "used": .number(Double(version))])))
            connection.close(code: CloseCode.normal, reason: "wrong-protocol")
            return
        }
        let settings = Self.loguxOptions
        guard let used = Self.subprotocol(in: options), used >= settings.minSubprotocol else {
            let supported: AnyJSON = .number(Double(settings.minSubprotocol))
            connection.send(text: LoguxMessage.error("wrong-subprotocol", .object(["supported": supported, "used": options["subprotocol"] ?? .number(0)])))
            connection.close(code: CloseCode.normal, reason: "wrong-subprotocol")
            return
        }
        let token = options["token"]?.string
        let credentials = LoguxCredentials(node: node, token: token, subprotocol: used, headers: session.headers, connection: connection)
        guard try await authenticate(credentials) else {
            room.logger.info("logux client refused: wrong credentials", metadata: ["node": .string(node.rawValue)])
            connection.send(text: LoguxMessage.error("wrong-credentials"))
            connection.close(code: CloseCode.normal, reason: "wrong-credentials")
            return
        }
        var session = session
        session.node = node.rawValue
        session.subprotocol = used
        session.base = max(nowMilliseconds, start)
        logux.progress[connection.id] = LoguxProgress(synced: synced, sent: synced)
        var record = logux.nodes[node.rawValue] ?? LoguxNodeRecord()
        if logux.nodes[node.rawValue] == nil, let stored = try await log.record(node.rawValue) { record = stored }
        record.seen = session.base
        logux.nodes[node.rawValue] = record
        // When a node was last seen need not hold back `connected` and the resend.
        try await log.save(record, for: node.rawValue, confirmed: false)
        try connection.setState(session)
        connection.send(text: LoguxMessage.connected(node: logux.serverNode, start: start, end: session.base, subprotocol: Self.loguxOptions.subprotocol))
        try await resend(to: connection, since: synced)
    }

    private func logRemote(error type: String, _ connection: Connection) {
        room.logger.info("logux client reported an error", metadata: ["connection": .string(connection.id), "type": .string(type)])
    }

    private func logDebug(_ type: String, _ data: AnyJSON?, _ connection: Connection) {
        let detail = data.map(LoguxJSON.text) ?? ""
        room.logger.debug("logux client debug message", metadata: ["connection": .string(connection.id), "type": .string(type), "data": .string(String(detail.prefix(1000)))])
    }

    /// The client's subprotocol: a number, or the major part of an older SemVer string; 0 when
    /// absent, `nil` when it is neither.
    static func subprotocol(in options: [String: AnyJSON]) -> Int? {
        guard let value = options["subprotocol"] else { return 0 }
        if let number = value.integer { return Int(exactly: number) }
        if let text = value.string, let major = Int(text.split(separator: ".").first ?? "") { return major }
        return nil
    }

    static func strings(_ fields: [String: AnyJSON]) -> [String: String] {
        var strings: [String: String] = [:]
        for (key, value) in fields.prefix(32) {
            if let string = value.string, string.utf8.count <= 1024 { strings[key] = string }
        }
        return strings
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
