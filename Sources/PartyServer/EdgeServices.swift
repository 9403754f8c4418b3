import Prometheus

/// What the server adds to the rooms' shared services while it runs: the session control API's
/// directory, worker accounts, keep-alive, and the registry the metrics are exported from.
package final class EdgeServices: Sendable {
    /// Every room of the process.
    package let registry: RoomRegistry
    /// Statuses, keys and spawn settings of rooms (the session control API); the rooms' record
    /// of activations.
    package let directory: RoomDirectory
    /// Worker accounts, checked before any room wakes.
    package let workers: WorkerAccounts
    /// Keep-alive pings and idle timeouts of every connection, on the connection clock.
    package let liveness: LivenessSweeper
    /// The metrics `GET /metrics` renders.
    package let metricsExport: PrometheusCollectorRegistry
    /// This process as a node of a cluster, or `nil` on its own.
    package let cluster: ClusterNode?
    /// The room call router of a cluster node (it runs the calls other nodes forward here).
    package let clusterCalls: ClusterRoomCallRouter?
    /// Every open WebSocket session, closed together on graceful shutdown.
    package let sessions = WebSocketSessions()

    /// The services of a running server.
    package init(
        registry: RoomRegistry, directory: RoomDirectory, workers: WorkerAccounts, liveness: LivenessSweeper,
        metricsExport: PrometheusCollectorRegistry, cluster: ClusterNode? = nil, clusterCalls: ClusterRoomCallRouter? = nil
    ) {
        self.cluster = cluster
        self.clusterCalls = clusterCalls
        self.registry = registry
        self.directory = directory
        self.workers = workers
        self.liveness = liveness
        self.metricsExport = metricsExport
    }
}
