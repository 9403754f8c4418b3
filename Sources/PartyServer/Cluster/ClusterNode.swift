import Foundation
import CoreMetrics
import Logging
import PartyCluster
import Synchronization

/// This process as a node of a cluster: the shared database, its room leases, its membership, and
/// the loop that keeps them (heartbeat, lease renewal, giving back leases of rooms that are gone,
/// stopping rooms whose lease was lost, adopting alarms of rooms nobody runs).
package final class ClusterNode: Sendable {
    /// How the node was configured.
    package let configuration: ClusterConfiguration
    /// The shared database.
    package let database: ClusterDatabase
    /// This node's room leases.
    package let leases: RoomLeases
    /// The nodes sharing the database.
    package let membership: NodeMembership
    /// Which node serves each room.
    package let ownership: ClusterOwnership
    /// The secret the nodes share: room calls forwarded between nodes carry it.
    package let secret: ClusterSecret
    let logger: Logger
    /// Leases, failovers and forwarding.
    let metrics: ClusterMetrics
    private let loop = Mutex<Task<Void, Never>?>(nil)
    /// Rooms without a slot at the last round: their lease is given back if still so at the next.
    private let idle = Mutex<Set<RoomKey>>([])

    /// This node's id.
    package var nodeID: String { configuration.nodeID }

    private init(configuration: ClusterConfiguration, database: ClusterDatabase, secret: ClusterSecret, metrics: ClusterMetrics, logger: Logger) {
        self.metrics = metrics
        self.secret = secret
        self.configuration = configuration
        self.database = database
        self.logger = logger
        leases = RoomLeases(nodeID: configuration.nodeID, duration: configuration.leaseDuration, database: database, logger: logger)
        membership = NodeMembership(nodeID: configuration.nodeID, deadAfter: configuration.deadAfter, database: database, logger: logger)
        ownership = ClusterOwnership(leases: leases, membership: membership, membersTTL: configuration.renewInterval, metrics: metrics, logger: logger)
    }

    /// Connects to the database (migrating its schema) and reads the cluster's secret.
    package static func open(_ configuration: ClusterConfiguration, metrics: ClusterMetrics, logger: Logger) async throws(ClusterError) -> ClusterNode {
        // A statement that takes half a lease is a database that cannot keep leases: give up on it.
        let limit = max(.seconds(1), min(.seconds(5), configuration.leaseDuration / 2))
        let database = try await ClusterDatabase.open(configuration.databaseURL, operationLimit: limit, logger: logger)
        let secret: ClusterSecret
        do throws(ClusterError) {
            secret = try await ClusterSecret.load(from: database)
        } catch {
            await database.close()
            throw error
        }
        return ClusterNode(configuration: configuration, database: database, secret: secret, metrics: metrics, logger: logger)
    }

    /// The storage backend for this node: the shared database, room writes fenced by its leases.
    package var backend: PostgresStorageBackend {
        PostgresStorageBackend(database: database, leases: leases)
    }

    /// Joins the cluster at `address` (where other nodes forward requests).
    package func join(address: String) async throws(ClusterError) {
        try await membership.register(address: address)
    }

    /// Keeps the node's membership and leases until ``stop()``; adopts the stored alarms of
    /// `servers` (the registered route names) for rooms no node runs. `adopt` runs after each
    /// lease this node takes, before the room counts as local here; `directory` holds the
    /// control records of the rooms this node runs.
    func run(registry: RoomRegistry, servers: Set<String>, directory: RoomDirectory, adopt: @escaping @Sendable (RoomKey) async -> Void) async {
        // A room that moves here brings its alarm and control record, written by the node that ran it before.
        ownership.whenAcquired { [alarms = registry.services.alarms] key in
            await alarms.reload(key)
            await adopt(key)
        }
        let task = Task {
            var round = 0
            while !Task.isCancelled {
                await maintain(registry: registry, directory: directory, sweepAlarms: round % 3 == 0, servers: servers)
                round += 1
                try? await Task.sleep(for: configuration.renewInterval)
            }
        }
        loop.withLock { $0 = task }
        await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
    }

    /// Ends ``run(registry:servers:)``.
    package func stop() {
        loop.withLock { $0 }?.cancel()
    }

    /// One round: stop rooms whose lease is lost or too old, give back leases of rooms that are
    /// gone, renew the rest, heartbeat, and now and then adopt stored alarms.
    func maintain(registry: RoomRegistry, directory: RoomDirectory, sweepAlarms: Bool, servers: Set<String>) async {
        for key in leases.dropExpired() {
            await stop(key, in: registry, directory: directory, because: "its lease could not be renewed in time")
        }
        // A spawned room keeps its lease while its activation lives, with or without a slot.
        let gone = Set(leases.heldRooms.filter { registry.existingSlot($0) == nil && !directory.isActive($0) })
        let release = idle.withLock { idle in
            defer { idle = gone }
            return gone.intersection(idle)
        }
        for key in release { await leases.release(server: key.server, room: key.name) }
        do {
            for key in try await leases.renew() {
                await stop(key, in: registry, directory: directory, because: "another node took it over")
            }
            try await membership.heartbeat(rooms: leases.count)
        } catch {
            logger.warning("could not renew this node's leases; its rooms stop if this lasts", metadata: ["error": "\(error)"])
        }
        metrics.leasesHeld.record(leases.count)
        guard sweepAlarms else { return }
        do {
            // Alarms due before the next sweep; later ones are found by a later sweep.
            let horizon = registry.services.clock.now.addingTimeInterval(configuration.leaseDuration.timeInterval * 2)
            let stored = try await backend.alarms(dueBefore: Int64((horizon.timeIntervalSince1970 * 1000).rounded()))
            // Alarms of unregistered types were reported once, at start.
            let adopted = registry.services.alarms.adopt(stored.filter { servers.contains($0.server) }, servers: servers) {
                registry.existingSlot($0) != nil
            }
            if adopted > 0 { logger.info("adopted alarms of rooms no node runs", metadata: ["count": "\(adopted)"]) }
        } catch {
            logger.warning("could not read stored alarms", metadata: ["error": "\(error)"])
        }
    }

    /// Stops a room this node no longer owns: its control record here is forgotten (the new owner
    /// goes on with the stored one), its clients are closed with 1012 and reconnect.
    private func stop(_ key: RoomKey, in registry: RoomRegistry, directory: RoomDirectory, because reason: String) async {
        logger.warning("room lease lost; stopping the room here", metadata: ["room": "\(key)", "reason": "\(reason)"])
        directory.forget(key)
        guard let slot = registry.existingSlot(key) else { return }
        _ = await slot.terminate(
            activation: nil, reason: .lost, hard: false,
            closeCode: CloseCode.serviceRestart, closeReason: "the room moved to another node; reconnect"
        )
    }

    /// Leaves the cluster: no new rooms are placed here.
    package func leave() async {
        await membership.leave()
    }

    /// Gives back every lease (after the rooms were snapshotted) and closes the database.
    package func close() async {
        await leases.releaseAll()
        await database.close()
    }
}
