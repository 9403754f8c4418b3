import Foundation
import PartyRuntime
import PartyServer

extension YServer {
    /// Sends the document's state vector (sync step 1) and everyone's awareness to a new
    /// connection. Call it from `onConnect` when you override it.
    public func yjsConnect(_ connection: Connection) async throws {
        try await yjsStart()
        try connection.setState(YConnectionState(readOnly: await isReadOnly(connection)))
        connection.send(binary: YMessage.step1(yjs.document.stateVector))
        let everyone = currentAwareness()
        if !everyone.clients.isEmpty { connection.send(binary: YMessage.awareness(everyone)) }
    }

    /// Handles one y-websocket message from `connection`: answers sync step 1 with what the
    /// client lacks, stores and forwards updates, relays awareness. A malformed message closes
    /// the connection with 1007, an unknown one with 1003; neither changes the document. Call it
    /// from `onMessage` when you override it.
    public func yjsReceive(_ connection: Connection, _ message: Message) async throws {
        try await yjsStart()
        guard message.kind == .binary else {
            let text = message.text ?? ""
            if text.hasPrefix(YServerConstants.customPrefix) {
                try await onCustomMessage(connection, String(text.dropFirst(YServerConstants.customPrefix.count)))
            } else {
                refuse(connection, code: CloseCode.unsupportedData, "a text frame that is not a custom message (__YPS:)")
            }
            return
        }
        let parsed: YMessage
        do {
            parsed = try YMessage.parse(message.bytes)
        } catch {
            switch error {
            case .malformed(let reason): refuse(connection, code: CloseCode.invalidPayload, "malformed message: \(reason)")
            case .unsupported(let what): refuse(connection, code: CloseCode.unsupportedData, "unsupported \(what)")
            }
            return
        }
        switch parsed {
        case .syncStep1(let stateVector):
            connection.send(binary: YMessage.step2(yjs.document.encode(since: stateVector)))
        case .syncStep2(let update), .update(let update):
            guard connection.state(as: YConnectionState.self)?.readOnly != true else { return }
            do {
                // An update message is forwarded as it came, without a copy.
                let forward: Message = if case .update = parsed { message } else { .binary(YMessage.update(update)) }
                try await apply(update, from: connection, forwarding: forward)
            } catch let error as YUpdateError {
                refuse(connection, code: CloseCode.invalidPayload, "malformed update: \(error)")
            }
        case .awareness(let awareness):
            guard try receiveAwareness(awareness, from: connection) else {
                refuse(connection, code: CloseCode.policyViolation, "more than \(Self.yjsOptions.maxAwarenessClientsPerConnection) awareness clients")
                return
            }
            room.broadcast(message)
        case .queryAwareness:
            connection.send(binary: YMessage.awareness(currentAwareness()))
        }
    }

    /// Applies `update` to the document: when it brings anything new, stores it and sends it to
    /// every connection but `origin`, then compacts the stored updates when they grew past the
    /// options' thresholds. Throws `YUpdateError`, changing nothing, when it is malformed. Use
    /// it for changes made on the server (from `onRequest`, an alarm, a worker).
    public func yjsApply(_ update: [UInt8], from origin: Connection?) async throws {
        try await apply(update, from: origin, forwarding: .binary(YMessage.update(update)))
    }

    /// Applies, stores and forwards `update`; `forward` is the update message to send. An
    /// update larger than a snapshot chunk is stored by compacting at once. When a write fails,
    /// the document in memory is dropped and loaded again from storage by the next event, so
    /// nobody is served what was not stored.
    private func apply(_ update: [UInt8], from origin: Connection?, forwarding forward: Message) async throws {
        try await yjsStart()
        guard try yjs.document.apply(update) else { return }
        let options = Self.yjsOptions
        do {
            if update.count <= options.snapshotChunkBytes {
                try await YDocumentStore(storage: room.storage).append(update, sequence: yjs.nextSequence)
                yjs.nextSequence += 1
                yjs.storedUpdates = yjs.storedUpdates.lowerBound..<yjs.nextSequence
                yjs.storedBytes += update.count
            }
            if update.count > options.snapshotChunkBytes
                || options.shouldCompact(updates: yjs.storedUpdates.count, bytes: yjs.storedBytes, snapshotBytes: yjs.snapshotBytes) {
                try await yjsCompact()
            }
        } catch {
            yjs = YjsState()
            throw error
        }
        // Held by the output gate until the writes above are durable.
        room.broadcast(forward, excluding: origin.map { [$0.id] } ?? [])
        noteUnsavedChange()
    }

    /// Merges the stored updates into one snapshot now, in one atomic write.
    public func yjsCompact() async throws {
        try await yjsStart()
        let snapshot = yjs.document.encode()
        yjs.snapshotChunks = try await YDocumentStore(storage: room.storage).compact(
            snapshot, chunkBytes: Self.yjsOptions.snapshotChunkBytes, oldChunks: yjs.snapshotChunks, updates: yjs.storedUpdates)
        yjs.snapshotBytes = snapshot.count
        yjs.storedUpdates = yjs.nextSequence..<yjs.nextSequence
        yjs.storedBytes = 0
    }

    /// Tells the others that the client of `connection` left (null awareness states) and runs
    /// `onSave` when it was the last one. Call it from `onClose` when you override it.
    public func yjsClose(_ connection: Connection) async throws {
        try await yjsStart()
        // After a hibernation the closing connection may be gone from the room's list when the
        // room starts again: its own state still says what it announced.
        let remembered = yjs.awareness.removeValue(forKey: connection.id)
        if let announced = remembered ?? connection.state(as: YConnectionState.self)?.awareness {
            var gone = YAwareness()
            for (client, entry) in announced where !entry.isRemoval {
                gone.clients[client] = YAwareness.Entry(clock: entry.clock + 1, state: "null")
            }
            if !gone.clients.isEmpty { room.broadcast(.binary(YMessage.awareness(gone)), excluding: [connection.id]) }
        }
        if room.connections().allSatisfy({ $0.id == connection.id }) { try await saveNow() }
    }

    // MARK: - Private

    private func refuse(_ connection: Connection, code: Int, _ reason: String) {
        room.logger.warning("closing a Yjs connection", metadata: ["connection": "\(connection.id)", "code": "\(code)", "reason": "\(reason)"])
        connection.close(code: code, reason: String(reason.utf8.prefix(120)) ?? "malformed message")
    }

    /// Records the entries `connection` announced, in its state and in memory; returns false,
    /// recording nothing, when that would pass the options' limit of clients per connection.
    private func receiveAwareness(_ awareness: YAwareness, from connection: Connection) throws -> Bool {
        var state = connection.state(as: YConnectionState.self) ?? YConnectionState()
        for (client, entry) in awareness.clients {
            if let known = state.awareness[client], known.clock > entry.clock { continue }
            state.awareness[client] = entry
        }
        guard state.awareness.count <= Self.yjsOptions.maxAwarenessClientsPerConnection else { return false }
        try connection.setState(state)
        yjs.awareness[connection.id] = state.awareness
        return true
    }

    /// Every connected client's awareness, removals left out.
    private func currentAwareness() -> YAwareness {
        var everyone = YAwareness()
        for entries in yjs.awareness.values {
            for (client, entry) in entries where !entry.isRemoval { everyone.clients[client] = entry }
        }
        return everyone
    }
}
