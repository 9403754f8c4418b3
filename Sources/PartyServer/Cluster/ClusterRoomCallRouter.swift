import CoreMetrics
import Foundation
import Logging
import PartyClient
import PartyCluster

/// Routes room calls between the nodes of a cluster: a call to a room this node owns (or takes,
/// placing the room as a request would) runs in this process; a call to a room another node owns
/// is sent to that node's `POST /_partycluster/call` with the cluster's secret, where it runs the
/// same way. Installed in place of the `LocalRoomCallRouter` when a cluster is configured.
package final class ClusterRoomCallRouter: RoomCallRouter {
    /// The most bytes a forwarded call or its reply may take on the wire.
    static let maxEnvelopeSize = 64 * 1024 * 1024
    /// Added to a call's remaining time for the HTTP exchange, so the caller's own deadline
    /// (on the application's clock) answers first.
    static let grace: Duration = .seconds(1)

    private let local: LocalRoomCallRouter
    /// Weak: the registry's services hold this router.
    private weak let registry: RoomRegistry?
    private let cluster: ClusterNode
    private let logger: Logger

    /// A router for the rooms of `registry` on the node `cluster`.
    package init(registry: RoomRegistry, cluster: ClusterNode) {
        local = LocalRoomCallRouter(registry: registry)
        self.registry = registry
        self.cluster = cluster
        logger = registry.logger
    }

    /// The route name `type` is registered under (as on a single node).
    package func routeName(for type: any Server.Type) throws(RoomCallError) -> String {
        try local.routeName(for: type)
    }

    /// Runs `call` here when this node owns the target (placing a new room as a request would),
    /// forwards it to the owner otherwise.
    package func deliver(_ call: RoomCall) async throws(RoomCallError) -> RoomCallReply {
        // A call the local router refuses without a room (unknown type, bad name) takes no lease.
        guard let clock = routable(call) else { return try await local.deliver(call) }
        switch await cluster.ownership.locate(call.target, placing: true) {
        case .local:
            return try await local.deliver(call)
        case .remote(let node, let address):
            return try await forward(call, to: node, at: address, clock: clock)
        case .unavailable(let reason):
            throw .unreachable("the node of room \(call.target) cannot be decided now (\(reason)); try again")
        }
    }

    /// Runs a call another node forwarded here, if this node owns its target; a call is never
    /// sent on again (the owner changed while it travelled: the caller may retry).
    func serve(_ call: RoomCall) async throws(RoomCallError) -> RoomCallReply {
        guard routable(call) != nil else { return try await local.deliver(call) }
        switch await cluster.ownership.locate(call.target, placing: false) {
        case .local:
            return try await local.deliver(call)
        case .remote(let node, _):
            throw .unreachable("the room moved to \(node) while the call was on its way; try again")
        case .unavailable(let reason):
            throw .unreachable("the room moved while the call was on its way and its node cannot be decided now (\(reason)); try again")
        }
    }

    /// The application's clock when `call` names a registered type and a valid room name (so it
    /// may take a lease); `nil` when the local router should refuse it.
    private func routable(_ call: RoomCall) -> (any PartyClock)? {
        guard let registry, registry.registration(named: call.target.server) != nil,
              RoomRoute.check(decodedName: call.target.name) == nil else { return nil }
        return registry.services.clock
    }

    /// Sends `call` to `node` at `address` and returns its outcome; the exchange lasts at most the
    /// call's remaining time (plus ``grace``).
    private func forward(_ call: RoomCall, to node: String, at address: String, clock: any PartyClock) async throws(RoomCallError) -> RoomCallReply {
        let remaining = Duration.seconds(call.deadline.timeIntervalSince(clock.now))
        guard remaining > .zero else { throw .timeout(.zero) }
        guard let (host, port) = PartyFront.split(address) else {
            throw .unreachable("the node \(node) owning room \(call.target) has an unusable address \(address.debugDescription); try again")
        }
        let body: Data
        do {
            body = try JSONEncoder().encode(ClusterCallEnvelope(call))
        } catch {
            throw .undecodable("the call could not be encoded for the node \(node): \(error)")
        }
        let request = HTTPExchange.Request(
            host: host, port: port, authority: address, tls: nil, method: "POST", target: PartyFront.clusterCallPath,
            headers: [
                ("Content-Type", "application/json"), (PartyFront.clusterSecretHeader.rawName, cluster.secret.value),
                (PartyFront.forwardedByHeader.rawName, cluster.nodeID),
            ],
            body: body, maxResponseSize: Self.maxEnvelopeSize, connectTimeout: min(.seconds(5), remaining + Self.grace)
        )
        cluster.metrics.forwardedCalls.increment()
        let answer: PartyFetchResponse
        do {
            answer = try await BoundedOperation.run(limit: remaining + Self.grace) { try await HTTPExchange.perform(request) }
        } catch is BoundedOperation.TimedOut {
            throw .timeout(remaining)
        } catch {
            logger.warning("could not forward a room call to the room's node", metadata: ["room": "\(call.target)", "node": "\(node)", "address": "\(address)", "error": "\(error)"])
            throw .unreachable("the node \(node) owning room \(call.target) did not answer (\(error)); try again: its rooms move to another node once its lease expires")
        }
        guard answer.status == 200 else {
            throw .unreachable("the node \(node) refused the call with status \(answer.status); run the same partyserver version on every node of the database")
        }
        do {
            return try JSONDecoder().decode(ClusterCallReplyEnvelope.self, from: answer.body).outcome().get()
        } catch let error as RoomCallError {
            throw error
        } catch {
            throw .unreachable("the node \(node) answered with an unreadable reply (\(error)); run the same partyserver version on every node")
        }
    }
}
