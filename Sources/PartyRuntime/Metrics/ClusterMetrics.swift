import CoreMetrics

/// Metrics of a node of a cluster (zero on a single node).
package struct ClusterMetrics: Sendable {
    /// Room leases this node holds.
    package let leasesHeld: CoreMetrics.Gauge
    /// Room leases this node took.
    package let leaseAcquisitions: CoreMetrics.Counter
    /// Room leases taken from another node (after it died, stopped renewing, or left).
    package let failovers: CoreMetrics.Counter
    /// HTTP requests sent on to the room's owner node.
    package let forwardedRequests: CoreMetrics.Counter
    /// WebSockets relayed to the room's owner node.
    package let forwardedConnections: CoreMetrics.Counter
    /// Messages relayed over those WebSockets, both ways.
    package let forwardedMessages: CoreMetrics.Counter
    /// Room calls (`RoomStub.fetch` / `call`) sent on to the target's owner node.
    package let forwardedCalls: CoreMetrics.Counter

    /// The metrics, made by `factory`.
    package init(factory: any MetricsFactory) {
        leasesHeld = CoreMetrics.Gauge(label: "partyserver_cluster_leases_held", factory: factory)
        leaseAcquisitions = CoreMetrics.Counter(label: "partyserver_cluster_lease_acquisitions_total", factory: factory)
        failovers = CoreMetrics.Counter(label: "partyserver_cluster_failovers_total", factory: factory)
        forwardedRequests = CoreMetrics.Counter(label: "partyserver_cluster_forwarded_requests_total", factory: factory)
        forwardedConnections = CoreMetrics.Counter(label: "partyserver_cluster_forwarded_connections_total", factory: factory)
        forwardedMessages = CoreMetrics.Counter(label: "partyserver_cluster_forwarded_messages_total", factory: factory)
        forwardedCalls = CoreMetrics.Counter(label: "partyserver_cluster_forwarded_calls_total", factory: factory)
    }
}
