import PartyRuntime
import PartyServer

extension LoguxServer {
    /// Adds an action the server makes to the log, sends it to `recipients` that are connected
    /// (once it is durable) and keeps it for those that are away. `reasons` keep it in the log
    /// until `loguxRemoveReason(_:)`. Returns its metadata.
    @discardableResult
    public func loguxAdd(_ action: LoguxAction, to recipients: LoguxRecipients, reasons: [String] = []) async throws -> LoguxMeta {
        try await loguxStart()
        var meta = serverMeta(recipients)
        meta.reasons = reasons.isEmpty ? nil : reasons
        return try await append(action.fields, meta)
    }

    /// Metadata for an action the room makes now: a fresh id of its own node.
    func serverMeta(_ recipients: LoguxRecipients) -> LoguxMeta {
        let now = nowMilliseconds
        if now > logux.lastTime {
            logux.lastTime = now
            logux.sequence = 0
        } else {
            logux.sequence += 1
        }
        let id = LoguxActionID(time: logux.lastTime, node: logux.serverNode, sequence: logux.sequence)
        var meta = LoguxMeta(id: id.text, time: now, added: 0)
        meta.address(recipients)
        return meta
    }

    /// Gives the action the next position, stores it, and sends it to the connected nodes it is
    /// addressed to (the room's output gate holds the frames until the write is durable).
    @discardableResult
    func append(_ action: [String: AnyJSON], _ meta: LoguxMeta) async throws -> LoguxMeta {
        var meta = meta
        logux.lastAdded += 1
        meta.added = logux.lastAdded
        let entry = LoguxEntry(action: action, meta: meta)
        try await log.append(entry)
        logux.addedSinceCleaning += 1
        deliver(entry)
        for channel in meta.channels ?? [] { try await trim(channel) }
        return meta
    }

    /// Sends `entry` to every connected node it is addressed to (its JSON and id are prepared
    /// once; each connection's frame only shifts the id and time from its base).
    func deliver(_ entry: LoguxEntry) {
        guard entry.meta.channels != nil || entry.meta.users != nil || entry.meta.clients != nil || entry.meta.nodes != nil else { return }
        let creator = entry.meta.node
        var outgoing: [LoguxOutgoing] = []
        for connection in room.connections() {
            guard let session = connection.state(as: LoguxSession.self), let node = session.node, node != creator,
                isAddressed(entry.meta, to: LoguxNodeID(trusted: node), record: logux.nodes[node])
            else { continue }
            if outgoing.isEmpty { outgoing = [LoguxOutgoing(entry)] }
            connection.send(text: syncMessage(outgoing, added: entry.meta.added, session: session))
            logux.progress[connection.id, default: LoguxProgress(synced: 0, sent: 0)].sent = entry.meta.added
        }
    }

    /// Whether `meta` addresses the node `node` (whose subscriptions `record` holds).
    func isAddressed(_ meta: LoguxMeta, to node: LoguxNodeID, record: LoguxNodeRecord?) -> Bool {
        if let nodes = meta.nodes, nodes.contains(node.rawValue) { return true }
        if let users = meta.users, users.contains(node.userId) { return true }
        if let clients = meta.clients, clients.contains(node.clientId) { return true }
        if let channels = meta.channels, let record {
            for channel in channels {
                if let since = record.subscriptions[channel], meta.added > since { return true }
            }
        }
        return false
    }

    /// `["sync", added, action, meta, …]` for `session`, ids and times shifted from its base.
    func syncMessage(_ entries: [LoguxOutgoing], added: Int64, session: LoguxSession) -> String {
        var output = "[\"sync\",\(added)"
        for entry in entries {
            output += ","
            output += entry.actionText
            output += ",{\"id\":"
            if let id = entry.id {
                id.writeWire(base: session.base, local: logux.serverNode, into: &output)
            } else {
                LoguxJSON.write(string: entry.meta.id, into: &output)
            }
            output += ",\"time\":\(entry.meta.time - session.base)"
            if let subprotocol = entry.meta.subprotocol { output += ",\"subprotocol\":\(subprotocol)" }
            output += "}"
        }
        return output + "]"
    }

    /// Sends `connection` every action after position `since` addressed to its node, in `sync`
    /// messages of at most `maxActionsPerSync` actions.
    func resend(to connection: Connection, since: Int64) async throws {
        guard let session = connection.state(as: LoguxSession.self), let node = session.node else { return }
        let nodeID = LoguxNodeID(trusted: node)
        let record = logux.nodes[node]
        let batch = max(1, Self.loguxOptions.maxActionsPerSync)
        var after = max(0, since)
        var pending: [LoguxOutgoing] = []
        while after < logux.lastAdded {
            let page = try await log.entries(after: after, limit: 1000)
            guard let last = page.last else { break }
            after = last.meta.added
            for entry in page where entry.meta.node != node && isAddressed(entry.meta, to: nodeID, record: record) {
                pending.append(LoguxOutgoing(entry))
                if pending.count == batch {
                    connection.send(text: syncMessage(pending, added: pending[pending.count - 1].meta.added, session: session))
                    logux.progress[connection.id, default: LoguxProgress(synced: since, sent: since)].sent = pending[pending.count - 1].meta.added
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
        if let newest = pending.last {
            connection.send(text: syncMessage(pending, added: newest.meta.added, session: session))
            logux.progress[connection.id, default: LoguxProgress(synced: since, sent: since)].sent = newest.meta.added
        }
    }
}

/// An action on its way out: its JSON text and parsed id, made once for every recipient.
struct LoguxOutgoing {
    let meta: LoguxMeta
    let id: LoguxActionID?
    let actionText: String

    init(_ entry: LoguxEntry) {
        meta = entry.meta
        id = LoguxActionID(text: entry.meta.id)
        actionText = LoguxJSON.text(.object(entry.action))
    }
}
