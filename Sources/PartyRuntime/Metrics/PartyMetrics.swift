import CoreMetrics

/// The process's metrics, through swift-metrics with an explicit factory (the server passes a
/// Prometheus factory of its own, exported at `GET /metrics`), so each application has its own
/// counters (several servers in one process, as in tests, do not share them) and nothing depends
/// on a global `MetricsSystem.bootstrap`. Without a factory, nothing is recorded.
package final class PartyMetrics: Sendable {
    /// Where the metrics are made (unregistered server types get detached ones).
    private let factory: any MetricsFactory
    /// Open WebSocket connections.
    package let connections: CoreMetrics.Meter
    /// WebSocket messages received and handed to a room.
    package let messagesIn: CoreMetrics.Counter
    /// WebSocket messages queued for sending (a broadcast counts once per recipient).
    package let messagesOut: CoreMetrics.Counter
    /// Messages compressed with permessage-deflate (a broadcast counts once).
    package let messagesCompressed: CoreMetrics.Counter
    /// Bytes of those messages before compression.
    package let compressionBytesIn: CoreMetrics.Counter
    /// Bytes of those messages after compression.
    package let compressionBytesOut: CoreMetrics.Counter
    /// Alarms that ran `onAlarm` (first attempts and retries).
    package let alarmsFired: CoreMetrics.Counter
    /// Alarm runs that failed and were scheduled again.
    package let alarmsRetried: CoreMetrics.Counter
    /// Alarms dropped after their last retry failed.
    package let alarmsDropped: CoreMetrics.Counter
    /// Storage transactions committed (each may carry writes from many rooms).
    package let storageCommits: CoreMetrics.Counter
    /// Writes carried by committed storage transactions.
    package let storageWrites: CoreMetrics.Counter
    /// Time each storage transaction took, fsync included.
    package let storageCommitLatency: CoreMetrics.Timer
    /// A cluster node's leases and forwarding.
    package let cluster: ClusterMetrics
    /// Calls from one room to another (`RoomStub.fetch` and `call`), counted by the caller.
    package let roomCalls: CoreMetrics.Counter
    /// Room calls that failed, by `RoomCallError.reason`.
    private let roomCallFailuresByReason: [String: CoreMetrics.Counter]
    /// Per-server-type metrics by route name.
    private let servers: [String: ServerMetrics]

    /// Creates the metrics for the given server route names, made by `factory`.
    package init(routeNames: [String], factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.factory = factory
        connections = CoreMetrics.Meter(label: "partyserver_connections", factory: factory)
        messagesIn = CoreMetrics.Counter(label: "partyserver_messages_in_total", factory: factory)
        messagesOut = CoreMetrics.Counter(label: "partyserver_messages_out_total", factory: factory)
        messagesCompressed = CoreMetrics.Counter(label: "partyserver_messages_compressed_total", factory: factory)
        compressionBytesIn = CoreMetrics.Counter(label: "partyserver_compression_bytes_in_total", factory: factory)
        compressionBytesOut = CoreMetrics.Counter(label: "partyserver_compression_bytes_out_total", factory: factory)
        alarmsFired = CoreMetrics.Counter(label: "partyserver_alarms_fired_total", factory: factory)
        alarmsRetried = CoreMetrics.Counter(label: "partyserver_alarms_retried_total", factory: factory)
        alarmsDropped = CoreMetrics.Counter(label: "partyserver_alarms_dropped_total", factory: factory)
        storageCommits = CoreMetrics.Counter(label: "partyserver_storage_commits_total", factory: factory)
        storageWrites = CoreMetrics.Counter(label: "partyserver_storage_writes_total", factory: factory)
        storageCommitLatency = CoreMetrics.Timer(label: PartyMetrics.commitSecondsLabel, factory: factory)
        cluster = ClusterMetrics(factory: factory)
        roomCalls = CoreMetrics.Counter(label: "partyserver_room_calls_total", factory: factory)
        var failures: [String: CoreMetrics.Counter] = [:]
        for reason in ["unreachable", "timeout", "failed", "cycle", "undecodable", "cancelled"] {
            failures[reason] = CoreMetrics.Counter(label: "partyserver_room_call_failures_total", dimensions: [("reason", reason)], factory: factory)
        }
        roomCallFailuresByReason = failures
        var servers: [String: ServerMetrics] = [:]
        for name in routeNames {
            servers[name] = ServerMetrics(routeName: name, factory: factory)
        }
        self.servers = servers
    }

    /// The label of the commit-time histogram (its buckets are the exporter's to set).
    package static let commitSecondsLabel = "partyserver_storage_commit_seconds"

    /// The metrics of one server type (a detached set if the name was not registered).
    package func server(_ routeName: String) -> ServerMetrics {
        servers[routeName] ?? ServerMetrics(routeName: routeName, factory: NOOPMetricsHandler.instance)
    }

    /// Counts a failed room call under its reason.
    package func roomCallFailed(_ error: RoomCallError) {
        roomCallFailuresByReason[error.reason]?.increment()
    }

    /// Records one storage transaction.
    package func recordCommit(submissions: Int, duration: Duration) {
        storageCommits.increment()
        storageWrites.increment(by: submissions)
        storageCommitLatency.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}
