import Foundation
import PartyCluster

extension RoomControl {
    /// How often `connect` looks a key up again when a room of another node took it meanwhile.
    static let keyAttempts = 4

    /// `connect` on a node of a cluster. A key is looked up in the shared database: the room
    /// holding it is reached where its lease is (this node takes the lease when nobody holds it,
    /// and goes on with the room's record), else ``ControlError/roomElsewhere(node:address:)``
    /// names the node to ask. A new room takes its lease here before its record is stored, and
    /// the database keeps its key unique: when another node's room took the key first, the new
    /// room is rolled back and the key looked up again.
    func connect(
        _ registration: ServerRegistration, in cluster: ClusterNode, edge: EdgeServices, key: String?, spawn: RoomSpawn?,
        user: String?, auth: JSONPayload?
    ) async throws(ControlError) -> RoomConnectResult {
        let server = registration.routeName
        for _ in 0..<Self.keyAttempts {
            var heldHere = key.flatMap { edge.directory.liveRoom(server: server, key: $0) } != nil
            if let key, !heldHere, let held = try await Self.room(holding: key, server: server, in: cluster) {
                try await Self.reach(RoomKey(server: server, name: held), in: cluster, placing: true)
                heldHere = edge.directory.liveRoom(server: server, key: key) != nil
            }
            var name: String?
            if spawn != nil, !heldHere {
                let fresh = UUID().uuidString.lowercased()
                try await Self.reach(RoomKey(server: server, name: fresh), in: cluster, placing: false)
                name = fresh
            }
            switch try await connectHere(registration, edge: edge, key: key, spawn: spawn, user: user, auth: auth, name: name) {
            case .connected(let result): return result
            case .keyTaken: continue
            }
        }
        throw .notStored("rooms on other nodes kept taking the key \(key ?? "")")
    }

    /// Returns once `room` is served here (its lease taken, its record adopted); throws
    /// `roomElsewhere` when another node serves it.
    static func reach(_ room: RoomKey, in cluster: ClusterNode, placing: Bool) async throws(ControlError) {
        switch await cluster.ownership.locate(room, placing: placing) {
        case .local: return
        case .remote(let node, let address): throw .roomElsewhere(node: node, address: address)
        case .unavailable(let reason): throw .clusterUnavailable(reason)
        }
    }

    /// The room holding `key` in the shared database.
    private static func room(holding key: String, server: String, in cluster: ClusterNode) async throws(ControlError) -> String? {
        do {
            return try await cluster.backend.room(holding: key, server: server)
        } catch {
            throw .clusterUnavailable("\(error)")
        }
    }

    /// After this node took `room`'s lease: goes on with its stored control record (another node
    /// may have run it), and starts again a spawned activation that had not reached `ready`.
    func adopt(_ room: RoomKey, in edge: EdgeServices, from cluster: ClusterNode) async {
        let logger = edge.registry.logger
        let stored: StoredRoomRecord?
        do {
            stored = try await cluster.backend.controlRecord(server: room.server, room: room.name).map { try StoredRoomRecord.decode($0) }
        } catch {
            logger.warning("a room's stored control record could not be read; it goes on without it", metadata: ["room": "\(room)", "error": "\(error)"])
            return
        }
        let restored = edge.directory.adopt(room, stored: stored)
        for (key, activation) in restored.restarts {
            guard let registration = edge.registry.registration(named: key.server) else { continue }
            start(registration, name: key.name, activation: activation, in: edge.registry)
        }
    }
}
