import Foundation

extension RoomDirectory {
    /// Takes over `key`'s stored record after this node took the room's lease (several nodes on
    /// one database), as a restart restores it (see `restore`): a direct activation that was
    /// active ends with `lost`, a spawned one goes on here with its key and limits. A record this
    /// node already has for the same or a later activation is kept. Returns what to start again.
    func adopt(_ key: RoomKey, stored: StoredRoomRecord?) -> Restored {
        let replace = withState { state -> Bool in
            guard let stored else { return false }
            guard let local = state.records[key] else { return true }
            guard stored.activation > local.activation else { return false }
            state.dropRecord(key)
            return true
        }
        guard replace, let stored else { return Restored() }
        return restore([(key, stored)])
    }

    /// Forgets `key`'s record without storing anything, after another node took the room over:
    /// its status streams here end (a client reconnecting with `Last-Event-ID` reaches the new
    /// owner) and its limits stop here.
    func forget(_ key: RoomKey) {
        let activation = withState { state -> UInt64? in
            guard let record = state.records[key] else { return nil }
            state.dropRecord(key)
            return record.activation
        }
        if let activation { cancelTimers(key, activation: activation) }
    }

    /// The room whose live activation holds `key` here, if any.
    func liveRoom(server: String, key: String) -> String? {
        withState { state in
            guard let name = state.keys[KeyBinding(server: server, key: key)],
                state.records[RoomKey(server: server, name: name)]?.isLive == true
            else { return nil }
            return name
        }
    }

    /// Whether this node records a live activation of `key` (it keeps the room's lease for it).
    func isActive(_ key: RoomKey) -> Bool {
        withState { $0.records[key]?.isActive ?? false }
    }
}

extension RoomDirectory.DirectoryState {
    /// Removes `key`'s record: its streams end, its key is released here.
    mutating func dropRecord(_ key: RoomKey) {
        guard let record = records.removeValue(forKey: key) else { return }
        for continuation in record.subscribers.values {
            outbox.append(.finish(continuation))
        }
        if let held = record.spawn?.key {
            let binding = KeyBinding(server: key.server, key: held)
            if keys[binding] == key.name { keys[binding] = nil }
        }
    }
}
