import Logging
import PartyCluster

extension PartyApplication {
    /// The storage engine: the data directory's SQLite database, or with a cluster configured the
    /// shared PostgreSQL database (with this node's membership and leases).
    func openStorage(metrics: PartyMetrics) async throws -> (StorageEngine, ClusterNode?) {
        let onCommit: @Sendable (Int, Duration) -> Void = { submissions, duration in
            metrics.recordCommit(submissions: submissions, duration: duration)
        }
        guard let clusterConfiguration = configuration.cluster else {
            let engine = try StorageEngine(
                directory: configuration.dataDirectory, configuration: configuration.storage, logger: logger, onCommit: onCommit
            )
            return (engine, nil)
        }
        let cluster = try await ClusterNode.open(clusterConfiguration, metrics: metrics.cluster, logger: logger)
        let engine = StorageEngine(backend: cluster.backend, configuration: configuration.storage, logger: logger, onCommit: onCommit)
        logger.notice("cluster node started", metadata: [
            "node": "\(clusterConfiguration.nodeID)", "database": "\(clusterConfiguration.databaseURL)",
            "lease": "\(clusterConfiguration.leaseDuration)",
        ])
        return (engine, cluster)
    }

    /// Registers the node once the server listens on `port`, at its advertised address.
    static func join(_ cluster: ClusterNode, port: Int, logger: Logger) async {
        let address = cluster.configuration.advertise ?? "127.0.0.1:\(port)"
        do {
            try await cluster.join(address: address)
        } catch {
            logger.critical("this node could not join the cluster; other nodes cannot forward to it", metadata: ["error": "\(error)"])
        }
    }
}
