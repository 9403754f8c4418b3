import CoreMetrics
import Logging
import PartyRuntime
import Synchronization

/// Which node serves each room, decided with room leases in the shared database.
///
/// A room this node holds a valid lease on is local without asking the database. Otherwise the
/// lease is looked up: a live holder elsewhere serves it; a room nobody holds is placed on the
/// less loaded of two live nodes (``Placement``), and the chosen node takes the lease when the
/// request reaches it (a forwarded request is never placed again, so it takes at most one hop).
package final class ClusterOwnership: RoomOwnership {
    /// This node's leases.
    package let leases: RoomLeases
    /// The nodes sharing the database.
    package let membership: NodeMembership
    /// How long a list of live nodes is reused for placement.
    let membersTTL: Duration
    let logger: Logger
    /// Runs after this node took a room's lease, before the room counts as local here (the node
    /// reloads the room's alarm and control record, which the previous owner may have written).
    private let onAcquired = Mutex<(@Sendable (RoomKey) async -> Void)?>(nil)
    /// Rooms whose lease is being acquired (and adopted), with who waits for that.
    private let acquisitions = Mutex<[RoomKey: [CheckedContinuation<Void, Never>]]>([:])
    private let members = Mutex<(list: [NodeMembership.Member], at: ContinuousClock.Instant)?>(nil)
    let metrics: ClusterMetrics

    /// Ownership through `leases`, placing new rooms among `membership`'s live nodes.
    package init(leases: RoomLeases, membership: NodeMembership, membersTTL: Duration, metrics: ClusterMetrics, logger: Logger) {
        self.metrics = metrics
        self.leases = leases
        self.membership = membership
        self.membersTTL = membersTTL
        self.logger = logger
    }

    /// This node's id.
    package var nodeID: String { leases.nodeID }

    package func locate(_ key: RoomKey, placing: Bool) async -> RoomLocation {
        while true {
            if leases.token(server: key.server, room: key.name) != nil {
                // Held here: local once what runs after its acquisition is done (an acquisition
                // is marked before its token exists and unmarked after that).
                if acquisitions.withLock({ $0[key] == nil }) { return .local }
                await waitForAcquisition(key)
                if leases.token(server: key.server, room: key.name) != nil { return .local }
            }
            // One acquisition per room at a time; the others wait for it and look again.
            let acquiring = acquisitions.withLock { pending -> Bool in
                guard pending[key] == nil else { return false }
                pending[key] = []
                return true
            }
            guard acquiring else {
                await waitForAcquisition(key)
                continue
            }
            let location = await acquire(key, placing: placing)
            let waiters = acquisitions.withLock { $0.removeValue(forKey: key) ?? [] }
            for waiter in waiters { waiter.resume() }
            return location
        }
    }

    /// Looks the room's lease up and takes it when nobody holds it (or places the room elsewhere);
    /// runs ``whenAcquired(_:)``'s action before the room counts as local.
    private func acquire(_ key: RoomKey, placing: Bool) async -> RoomLocation {
        do {
            // One lookup answers most requests: the live holder, or nobody (then place the room).
            if let holder = try await leases.holder(server: key.server, room: key.name) {
                if holder.node != nodeID {
                    guard let address = holder.address else { return .unavailable("the room's owner \(holder.node) has no address") }
                    return .remote(node: holder.node, address: address)
                }
            } else if placing, let chosen = try await placement(), chosen.id != nodeID {
                return .remote(node: chosen.id, address: chosen.address)
            }
            switch try await leases.acquire(server: key.server, room: key.name) {
            case .acquired(let token, let previous):
                metrics.leaseAcquisitions.increment()
                if let previous, previous != nodeID {
                    metrics.failovers.increment()
                    logger.info("room taken over from another node", metadata: ["room": "\(key)", "from": "\(previous)", "token": "\(token)"])
                }
                await onAcquired.withLock({ $0 })?(key)
                return .local
            case .heldElsewhere(let node, let address):
                guard let address else { return .unavailable("the room's owner \(node) has no address") }
                return .remote(node: node, address: address)
            }
        } catch {
            logger.warning("could not locate a room", metadata: ["room": "\(key)", "error": "\(error)"])
            return .unavailable("the cluster database cannot be reached")
        }
    }

    /// Returns once no acquisition of `key` runs.
    private func waitForAcquisition(_ key: RoomKey) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let pending = acquisitions.withLock { pending -> Bool in
                guard pending[key] != nil else { return false }
                pending[key]?.append(continuation)
                return true
            }
            if !pending { continuation.resume() }
        }
    }

    /// Sets what runs after each lease acquisition.
    package func whenAcquired(_ action: @escaping @Sendable (RoomKey) async -> Void) {
        onAcquired.withLock { $0 = action }
    }

    /// The node a new room goes to, from a recent list of live nodes.
    private func placement() async throws(StorageError) -> NodeMembership.Member? {
        let now = ContinuousClock.now
        var list: [NodeMembership.Member]
        if let cached = members.withLock({ $0 }), now - cached.at < membersTTL {
            list = cached.list
        } else {
            list = try await membership.liveMembers()
            members.withLock { $0 = (list, now) }
        }
        var random = SystemRandomNumberGenerator()
        return Placement.choose(among: list, preferring: nodeID, using: &random)
    }
}
