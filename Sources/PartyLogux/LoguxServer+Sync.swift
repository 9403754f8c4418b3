import PartyRuntime
import PartyServer

extension LoguxServer {
    /// A `sync` from a client: checks every action first (a malformed one, too many, or one too
    /// large refuses the whole message with `wrong-format`, writing nothing), then adds, checks
    /// and processes each new one, and answers `synced`.
    func receiveSync(
        _ connection: Connection, session: LoguxSession, node: String, added: Int64, pairs: [(action: AnyJSON, meta: AnyJSON)], text: String
    ) async throws {
        let options = Self.loguxOptions
        guard pairs.count <= options.maxActionsPerSync else {
            refuse(connection, text, because: "a sync carries \(pairs.count) actions; at most \(options.maxActionsPerSync) are taken")
            return
        }
        var incoming: [(LoguxAction, LoguxMeta)] = []
        incoming.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let fields = pair.action.object, let action = LoguxAction(fields: fields) else {
                refuse(connection, text, because: "an action is not an object with a string type")
                return
            }
            guard LoguxJSON.text(pair.action).utf8.count <= options.maxActionBytes else {
                refuse(connection, text, because: "an action is larger than \(options.maxActionBytes) bytes")
                return
            }
            guard let metaFields = pair.meta.object, let wireID = metaFields["id"],
                let id = LoguxActionID(wire: wireID, base: session.base, sender: node), let shift = metaFields["time"]?.integer
            else {
                refuse(connection, text, because: "an action's meta has no valid id or time")
                return
            }
            var meta = LoguxMeta(id: id.text, time: session.base + shift, added: 0)
            meta.subprotocol = metaFields["subprotocol"]?.integer.flatMap { Int(exactly: $0) } ?? session.subprotocol
            incoming.append((action, meta))
        }
        guard let sender = LoguxNodeID(node) else { return }
        var seen = Set<String>()
        for (action, meta) in incoming {
            guard seen.insert(meta.id).inserted, try await !log.contains(id: meta.id) else { continue }
            let context = LoguxContext(node: sender, subprotocol: meta.subprotocol ?? 0, meta: meta, connection: connection, headers: session.headers)
            try await handle(action, context)
        }
        connection.send(text: "[\"synced\",\(added)]")
        try await cleanIfDue()
    }

    /// Checks, applies and logs one new action from a client, then tells the sender
    /// `logux/processed` or `logux/undo`.
    private func handle(_ action: LoguxAction, _ context: LoguxContext) async throws {
        // A client adds actions of its own user only (another tab's are fine).
        guard let creator = LoguxNodeID(context.meta.node), creator.userId == context.userId else {
            try await undo(action, context, reason: "denied")
            return
        }
        switch action.type {
        case "logux/subscribe": try await subscribe(action, context)
        case "logux/unsubscribe": try await unsubscribe(action, context)
        default:
            if action.type.hasPrefix("logux/") {
                try await undo(action, context, reason: "unknown-type")
                return
            }
            guard let access = try await attempt(action, context, { try await self.access(action, context) }) else { return }
            switch access {
            case .unknown:
                try await undo(action, context, reason: "unknown-type")
            case .deny(let reason):
                try await undo(action, context, reason: reason)
            case .allow:
                guard let recipients = try await attempt(action, context, { try await process(action, context) }) else { return }
                var meta = context.meta
                meta.address(recipients)
                try await append(action.fields, meta)
                try await processed(context)
            }
        }
    }

    private func subscribe(_ action: LoguxAction, _ context: LoguxContext) async throws {
        guard let channel = action.string("channel"), !channel.isEmpty, channel.utf8.count <= 256 else {
            try await undo(action, context, reason: "wrong-channel")
            return
        }
        guard let access = try await attempt(action, context, { try await accessChannel(channel, context) }) else { return }
        switch access {
        case .unknown: try await undo(action, context, reason: "wrong-channel")
        case .deny(let reason): try await undo(action, context, reason: reason)
        case .allow:
            let node = context.node.rawValue
            var record = logux.nodes[node] ?? LoguxNodeRecord()
            if record.subscriptions[channel] == nil {
                record.subscriptions[channel] = logux.lastAdded
                logux.nodes[node] = record
                try await log.save(record, for: node)
            }
            var since: LoguxSince?
            if let fields = action.fields["since"]?.object, let id = fields["id"]?.string, let time = fields["time"]?.integer {
                since = LoguxSince(id: id, time: time)
            }
            guard let loaded = try await attempt(action, context, { try await load(channel: channel, since: since, context) }) else { return }
            for action in loaded {
                try await loguxAdd(action, to: LoguxRecipients(nodes: [node]))
            }
            try await processed(context)
        }
    }

    private func unsubscribe(_ action: LoguxAction, _ context: LoguxContext) async throws {
        guard let channel = action.string("channel") else {
            try await undo(action, context, reason: "wrong-channel")
            return
        }
        let node = context.node.rawValue
        if var record = logux.nodes[node], record.subscriptions.removeValue(forKey: channel) != nil {
            logux.nodes[node] = record
            try await log.save(record, for: node)
        }
        try await processed(context)
    }

    /// `logux/processed` for the context's action, to its sender.
    private func processed(_ context: LoguxContext) async throws {
        let answer: [String: AnyJSON] = ["type": .string("logux/processed"), "id": .string(context.meta.id)]
        try await append(answer, serverMeta(LoguxRecipients(nodes: [context.node.rawValue])))
    }

    /// `logux/undo` for `action`, with `reason`, to its sender; `action` itself is not logged.
    private func undo(_ action: LoguxAction, _ context: LoguxContext, reason: String) async throws {
        let answer: [String: AnyJSON] = [
            "type": .string("logux/undo"), "id": .string(context.meta.id), "reason": .string(reason), "action": .object(action.fields),
        ]
        try await append(answer, serverMeta(LoguxRecipients(nodes: [context.node.rawValue])))
    }

    /// Runs a hook of the type for `action`; if it throws, logs the error, undoes the action
    /// for its sender (reason `error`) and returns `nil`.
    private func attempt<T>(_ action: LoguxAction, _ context: LoguxContext, _ hook: () async throws -> T) async throws -> T? {
        do {
            return try await hook()
        } catch {
            room.logger.error(
                "logux action failed; undone for its sender",
                metadata: ["type": .string(action.type), "node": .string(context.node.rawValue), "error": .string("\(error)")]
            )
            try await undo(action, context, reason: "error")
            return nil
        }
    }

    private func refuse(_ connection: Connection, _ text: String, because reason: String) {
        room.logger.info("logux sync refused", metadata: ["connection": .string(connection.id), "reason": .string(reason)])
        connection.send(text: LoguxMessage.error("wrong-format", message: text))
    }
}
