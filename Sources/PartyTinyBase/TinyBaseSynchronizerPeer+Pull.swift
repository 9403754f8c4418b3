/// Pulling changes from another peer (`getChangesFromOtherStore` / `pullChanges` in
/// src/synchronizers/index.ts), one request at a time.
extension TinyBaseSynchronizerPeer {
    /// What began a pull, which decides what happens when it fails.
    enum PullOrigin: Sendable {
        /// `start` (or a reload): failure is ignored.
        case load
        /// A client's ContentHashes: failure makes the peer reload.
        case contentHashes
    }

    /// Why a pull failed.
    enum PullFailure: Sendable {
        case timeout, badResponse, dropped
    }

    /// The answer a request waits for.
    enum Expectation: Sendable {
        case contentHashes, tableDiff, rowDiff, cellDiff, valueDiff
    }

    /// A request waiting for its answer.
    struct PendingRequest: Sendable {
        var to: String?
        var pullId: Int
        var expectation: Expectation
        var sentAt: Int64
    }

    /// A pull under way.
    struct Pull: Sendable {
        var origin: PullOrigin
        var other: String?
        var otherHashes = TinyBaseContentHashes(tables: 0, values: 0)
        var ownHashes = TinyBaseContentHashes(tables: 0, values: 0)
        var changes = TinyBaseChanges()
    }

    /// Starts a pull from `other` (`nil`: whoever answers GetContentHashes first). With its
    /// hashes known, goes straight to comparing them.
    mutating func startPull(from other: String?, hashes: TinyBaseContentHashes?, origin: PullOrigin, now: Int64) -> [TinyBaseOutgoing] {
        let pullId = nextPullId
        nextPullId += 1
        pulls[pullId] = Pull(origin: origin, other: other)
        guard let hashes, let other else {
            return request(pullId, to: other, .getContentHashes, expecting: .contentHashes, now: now)
        }
        return compare(pullId, other: other, hashes: hashes, now: now)
    }

    /// Compares the other peer's content hashes with the store's and asks for what differs.
    private mutating func compare(_ pullId: Int, other: String, hashes: TinyBaseContentHashes, now: Int64) -> [TinyBaseOutgoing] {
        if let under = pulling[other], under.hashes == hashes, under.pullId != pullId {
            // The same pull is under way; its result serves this one too.
            pulls[pullId] = nil
            return []
        }
        pulling[other] = (hashes, pullId)
        pulls[pullId]?.other = other
        pulls[pullId]?.otherHashes = hashes
        pulls[pullId]?.ownHashes = store.contentHashes
        guard store.contentHashes.tables != hashes.tables else { return askValues(pullId, now: now) }
        return request(pullId, to: other, .getTableDiff(store.tableHashes), expecting: .tableDiff, now: now)
    }

    /// Asks for the values if their hash differed when the pull began, else finishes.
    private mutating func askValues(_ pullId: Int, now: Int64) -> [TinyBaseOutgoing] {
        guard let pull = pulls[pullId], let other = pull.other else { return [] }
        guard pull.ownHashes.values != pull.otherHashes.values else { return finish(pullId, now: now) }
        return request(pullId, to: other, .getValueDiff(store.valueHashes), expecting: .valueDiff, now: now)
    }

    /// Asks for the cells of the rows that differ, or moves on to the values.
    private mutating func askCells(_ pullId: Int, differentRowHashes: TinyBaseRowHashes, now: Int64) -> [TinyBaseOutgoing] {
        let cellHashes = store.cellHashes(differentRowHashes)
        guard !cellHashes.isEmpty, let other = pulls[pullId]?.other else { return askValues(pullId, now: now) }
        return request(pullId, to: other, .getCellDiff(cellHashes), expecting: .cellDiff, now: now)
    }

    /// Handles a Response: to the pending request with its id, from the client it was sent to
    /// (or anyone, for a request sent to everyone).
    mutating func handleResponse(_ json: TinyBaseJSON, requestId: String?, from clientId: String, now: Int64) -> [TinyBaseOutgoing] {
        guard let requestId, let request = pending[requestId], request.to == nil || request.to == clientId else { return [] }
        removePending(requestId)
        let pullId = request.pullId
        guard pulls[pullId] != nil else { return [] }
        switch request.expectation {
        case .contentHashes:
            guard let hashes = TinyBaseWireCoding.contentHashes(json) else { break }
            return compare(pullId, other: clientId, hashes: hashes, now: now)
        case .tableDiff:
            guard let (newTables, differentTableHashes) = TinyBaseMessage.tableDiff(json) else { break }
            pulls[pullId]?.changes.tables = newTables
            guard !differentTableHashes.isEmpty else { return askValues(pullId, now: now) }
            let rowHashes = store.rowHashes(differentTableHashes)
            guard !rowHashes.isEmpty, let other = pulls[pullId]?.other else {
                return askCells(pullId, differentRowHashes: .init(), now: now)
            }
            return self.request(pullId, to: other, .getRowDiff(rowHashes), expecting: .rowDiff, now: now)
        case .rowDiff:
            guard let (newRows, differentRowHashes) = TinyBaseMessage.rowDiff(json) else { break }
            pulls[pullId]?.changes.mergeTables(newRows)
            return askCells(pullId, differentRowHashes: differentRowHashes, now: now)
        case .cellDiff:
            guard let newCells = TinyBaseWireCoding.tablesStamp(json) else { break }
            pulls[pullId]?.changes.mergeTables(newCells)
            return askValues(pullId, now: now)
        case .valueDiff:
            guard let values = TinyBaseWireCoding.valuesStamp(json) else { break }
            pulls[pullId]?.changes.values = values
            return finish(pullId, now: now)
        }
        return failPull(pullId, reason: .badResponse, now: now)
    }

    /// Merges what the pull gathered. A pull begun by a client's ContentHashes then tells that
    /// client the store's own hashes when they still differ from the ones it announced, so that
    /// it pulls in turn: a TinyBase client drops the ContentDiffs that arrive during its first
    /// load, and announcing its hashes afterwards only makes others pull from it.
    private mutating func finish(_ pullId: Int, now: Int64) -> [TinyBaseOutgoing] {
        guard let pull = pulls.removeValue(forKey: pullId) else { return [] }
        if let other = pull.other, pulling[other]?.pullId == pullId { pulling[other] = nil }
        if store.apply(pull.changes, now: now) { revision += 1 }
        let hashes = store.contentHashes
        guard pull.origin == .contentHashes, let other = pull.other, hashes != pull.otherHashes else { return [] }
        return [send(to: other, TinyBaseMessage(requestId: nil, body: .contentHashes(hashes)))]
    }

    /// Ends a pull that cannot complete; one begun by a client's ContentHashes makes the peer
    /// pull from whoever answers first instead, as TinyBase reloads.
    mutating func failPull(_ pullId: Int, reason: PullFailure, now: Int64) -> [TinyBaseOutgoing] {
        guard let pull = pulls.removeValue(forKey: pullId) else { return [] }
        if let other = pull.other, pulling[other]?.pullId == pullId { pulling[other] = nil }
        guard pull.origin == .contentHashes, reason != .dropped else { return [] }
        return startPull(from: nil, hashes: nil, origin: .load, now: now)
    }

    /// Sends a request for a pull, keeping at most `maxPendingRequests` waiting (the oldest is
    /// dropped).
    private mutating func request(
        _ pullId: Int, to clientId: String?, _ body: TinyBaseMessage.Body, expecting: Expectation, now: Int64
    ) -> [TinyBaseOutgoing] {
        var out: [TinyBaseOutgoing] = []
        while pending.count >= Self.maxPendingRequests, let oldest = pendingOrder.first {
            let dropped = pending[oldest]
            removePending(oldest)
            droppedRequests += 1
            if let dropped { out += failPull(dropped.pullId, reason: .dropped, now: now) }
        }
        var requestId = random.uniqueId()
        while pending[requestId] != nil { requestId = random.uniqueId() }
        pending[requestId] = PendingRequest(to: clientId, pullId: pullId, expectation: expecting, sentAt: now)
        pendingOrder.append(requestId)
        out.append(send(to: clientId, TinyBaseMessage(requestId: requestId, body: body)))
        return out
    }

    /// Forgets a pending request.
    mutating func removePending(_ requestId: String) {
        guard pending.removeValue(forKey: requestId) != nil else { return }
        if let index = pendingOrder.firstIndex(of: requestId) { pendingOrder.remove(at: index) }
    }
}
