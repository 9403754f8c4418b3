import Foundation
import PartyRuntime
import PartyServer

extension TinyBaseServer {
    /// Handles one frame from `connection`: puts split messages back together, checks each
    /// message whole, hands those for everyone ("") or the server ("S") to the server's store,
    /// and passes the frames on to their recipients with the sender's id on the first line, as
    /// they came. A malformed frame closes the connection with 1007 (1013 past a limit) and
    /// reaches nobody. Call it from `onMessage` when you override it.
    public func tinybaseReceive(_ connection: Connection, _ message: Message) async throws {
        try await tinybaseStart()
        guard let text = message.text else {
            refuse(connection, code: CloseCode.unsupportedData, "a binary frame; TinyBase frames are text")
            return
        }
        let now = nowMilliseconds
        let decoded: TinyBaseReassemblyBuffer.Decoded?
        do {
            decoded = try tinybase.buffers[connection.id, default: TinyBaseReassemblyBuffer(limits: Self.tinybaseOptions.reassembly)]
                .decode(text, now: now)
        } catch {
            tinybase.buffers[connection.id] = nil
            refuse(connection, code: Int(error.closeCode), error.description)
            return
        }
        guard let decoded else { return }
        let sender = clientId(connection)
        let recipient = decoded.clientId
        if recipient.isEmpty || recipient == TinyBaseFrame.serverClientId {
            let replies = tinybase.peer.receive(decoded.message, from: sender, now: now)
            try await saveIfChanged()
            send(replies)
        }
        guard recipient != TinyBaseFrame.serverClientId else { return }
        let frames = decoded.remainders.map { TinyBaseFrame.payload(clientId: sender, remainder: $0) }
        if recipient.isEmpty {
            for frame in frames { room.broadcast(text: frame, excluding: [connection.id]) }
        } else if let target = room.connections(tagged: recipient).first(where: { $0.id != connection.id && clientId($0) == recipient }) {
            for frame in frames { target.send(text: frame) }
        }
    }

    /// Sets a cell as the server's own change: stored, then sent to every client.
    public func tinybaseSetCell(_ tableId: String, _ rowId: String, _ cellId: String, _ value: TinyBaseValue) async throws {
        try await tinybaseStart()
        let out = tinybase.peer.setCell(tableId, rowId, cellId, value, now: nowMilliseconds)
        try await saveIfChanged()
        send(out)
    }

    /// Deletes a cell as the server's own change: stored, then sent to every client.
    public func tinybaseDeleteCell(_ tableId: String, _ rowId: String, _ cellId: String) async throws {
        try await tinybaseStart()
        let out = tinybase.peer.deleteCell(tableId, rowId, cellId, now: nowMilliseconds)
        try await saveIfChanged()
        send(out)
    }

    /// Sets a value as the server's own change: stored, then sent to every client.
    public func tinybaseSetValue(_ valueId: String, _ value: TinyBaseValue) async throws {
        try await tinybaseStart()
        let out = tinybase.peer.setValue(valueId, value, now: nowMilliseconds)
        try await saveIfChanged()
        send(out)
    }

    /// Deletes a value as the server's own change: stored, then sent to every client.
    public func tinybaseDeleteValue(_ valueId: String) async throws {
        try await tinybaseStart()
        let out = tinybase.peer.deleteValue(valueId, now: nowMilliseconds)
        try await saveIfChanged()
        send(out)
    }

    /// Sends the server store's messages, each with "S" on its first line.
    func send(_ outgoing: [TinyBaseOutgoing]) {
        for item in outgoing {
            let frame = TinyBaseFrame.payload(clientId: TinyBaseFrame.serverClientId, remainder: item.message.text)
            if let to = item.to {
                for connection in room.connections(tagged: to) where clientId(connection) == to { connection.send(text: frame) }
            } else {
                room.broadcast(text: frame)
            }
        }
    }

    /// Writes the store when it changed since it was last written. What the room sends after
    /// this waits until the write is durable (the output gate).
    private func saveIfChanged() async throws {
        guard tinybase.peer.revision != tinybase.storedRevision else { return }
        let storage = TinyBaseStorage(storage: room.storage)
        tinybase.snapshotChunks = try await storage.save(
            tinybase.store.encoded(), chunkBytes: Self.tinybaseOptions.snapshotChunkBytes, oldChunks: tinybase.snapshotChunks)
        tinybase.storedRevision = tinybase.peer.revision
    }

    private func refuse(_ connection: Connection, code: Int, _ reason: String) {
        room.logger.warning("closing a TinyBase connection", metadata: ["connection": "\(connection.id)", "code": "\(code)", "reason": "\(reason)"])
        connection.close(code: code, reason: String(reason.utf8.prefix(120)) ?? "invalid frame")
    }
}
