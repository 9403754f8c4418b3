import Foundation

extension RoomControl {
    /// Restores the rooms' control records from the storage database, at start before the server
    /// accepts requests (see `RoomDirectory.restore`), and starts again the spawned activations
    /// that had not reached `ready`.
    func restore(in edge: EdgeServices) async throws(StorageError) {
        let registry = edge.registry
        var records: [(key: RoomKey, record: StoredRoomRecord)] = []
        for row in try await registry.services.engine.loadControlRecords() {
            let key = RoomKey(server: row.server, name: row.room)
            do {
                records.append((key, try StoredRoomRecord.decode(row.record)))
            } catch {
                registry.logger.warning(
                    "a stored control record could not be read; the room goes on without it",
                    metadata: ["room": "\(key)", "error": "\(error)"]
                )
            }
        }
        guard !records.isEmpty else { return }
        let restored = edge.directory.restore(records)
        for (key, activation) in restored.restarts {
            guard let registration = registry.registration(named: key.server) else { continue }
            start(registration, name: key.name, activation: activation, in: registry)
        }
        registry.logger.info(
            "restored the control records of rooms",
            metadata: [
                "records": "\(records.count)", "live": "\(restored.live)", "restarted": "\(restored.restarts.count)",
                "lost": "\(restored.lost)",
            ]
        )
    }
}
