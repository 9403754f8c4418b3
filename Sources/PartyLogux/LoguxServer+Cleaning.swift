import PartyRuntime
import PartyServer

extension LoguxServer {
    /// Removes `reason` from every action of the log that has it; an action left without
    /// reasons is removed at the next cleaning once every node that needs it has it. Reads the
    /// whole log.
    public func loguxRemoveReason(_ reason: String) async throws {
        try await loguxStart()
        var after: Int64 = 0
        while true {
            let page = try await log.entries(after: after, limit: 1000)
            guard let last = page.last else { break }
            after = last.meta.added
            for var entry in page {
                guard let reasons = entry.meta.reasons, reasons.contains(reason) else { continue }
                let left = reasons.filter { $0 != reason }
                entry.meta.reasons = left.isEmpty ? nil : left
                try await room.storage.put(LoguxLog.entryKey(entry.meta.added), entry)
            }
        }
    }

    /// Cleans the log when `LoguxOptions.cleanEvery` actions were added since the last time.
    func cleanIfDue() async throws {
        guard logux.addedSinceCleaning >= max(1, Self.loguxOptions.cleanEvery) else { return }
        try await loguxClean()
    }

    /// Forgets nodes not seen for `nodeLifetime` and removes every action without reasons that
    /// all remembered nodes have (the oldest position any of them still needs bounds it).
    public func loguxClean() async throws {
        try await loguxStart()
        logux.addedSinceCleaning = 0
        let now = nowMilliseconds
        let lifetime = Int64(Self.seconds(Self.loguxOptions.nodeLifetime) * 1000)
        var floor = logux.lastAdded
        var connected: [String: Int64] = [:]
        for connection in room.connections() {
            guard let session = connection.state(as: LoguxSession.self), let node = session.node else { continue }
            connected[node] = min(connected[node] ?? .max, position(of: connection, node: node))
        }
        for (node, record) in try await log.records() {
            if let position = connected[node] {
                floor = min(floor, max(position, record.position))
            } else if now - record.seen > lifetime {
                try await log.forget(node: node)
            } else {
                floor = min(floor, record.position)
            }
        }
        var after: Int64 = 0
        while after < floor {
            let page = try await log.entries(after: after, through: floor, limit: 1000)
            guard let last = page.last else { break }
            after = last.meta.added
            for entry in page where entry.meta.reasons?.isEmpty ?? true {
                try await remove(entry)
            }
        }
    }

    /// Keeps at most `keepLastPerChannel` actions of `channel` in the log (actions with reasons
    /// stay).
    func trim(_ channel: String) async throws {
        let keep = max(0, Self.loguxOptions.keepLastPerChannel)
        var count: Int
        if let known = logux.channelCounts[channel] {
            count = known + 1
        } else {
            count = try await log.channelPositions(channel).count
        }
        logux.channelCounts[channel] = count
        guard count > keep else { return }
        for position in try await log.channelPositions(channel, limit: count - keep) {
            guard let entry = try await log.entry(position), entry.meta.reasons?.isEmpty ?? true else { continue }
            try await remove(entry)
        }
    }

    /// Removes `entry` from the log and from its channels' counts.
    private func remove(_ entry: LoguxEntry) async throws {
        try await log.remove(entry)
        for channel in entry.meta.channels ?? [] {
            if let count = logux.channelCounts[channel] { logux.channelCounts[channel] = count - 1 }
        }
    }
}
