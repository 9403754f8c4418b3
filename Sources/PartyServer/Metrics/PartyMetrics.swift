import CoreMetrics
import Prometheus

/// The process's metrics, exported in Prometheus text format at `GET /metrics`.
///
/// Built through swift-metrics with an explicit Prometheus factory, so each application has its own
/// registry (several servers in one process, as in tests, do not share counters) and nothing
/// depends on a global `MetricsSystem.bootstrap`.
package final class PartyMetrics: Sendable {
    /// The registry `/metrics` renders.
    package let registry: PrometheusCollectorRegistry
    /// Open WebSocket connections.
    package let connections: CoreMetrics.Meter
    /// WebSocket messages received and handed to a room.
    package let messagesIn: CoreMetrics.Counter
    /// WebSocket messages queued for sending (a broadcast counts once per recipient).
    package let messagesOut: CoreMetrics.Counter
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
    /// Per-server-type metrics by route name.
    private let servers: [String: ServerMetrics]

    /// Creates the metrics for the given server route names.
    package init(routeNames: [String]) {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["partyserver_storage_commit_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .seconds(1),
        ]
        self.registry = registry
        connections = CoreMetrics.Meter(label: "partyserver_connections", factory: factory)
        messagesIn = CoreMetrics.Counter(label: "partyserver_messages_in_total", factory: factory)
        messagesOut = CoreMetrics.Counter(label: "partyserver_messages_out_total", factory: factory)
        alarmsFired = CoreMetrics.Counter(label: "partyserver_alarms_fired_total", factory: factory)
        alarmsRetried = CoreMetrics.Counter(label: "partyserver_alarms_retried_total", factory: factory)
        alarmsDropped = CoreMetrics.Counter(label: "partyserver_alarms_dropped_total", factory: factory)
        storageCommits = CoreMetrics.Counter(label: "partyserver_storage_commits_total", factory: factory)
        storageWrites = CoreMetrics.Counter(label: "partyserver_storage_writes_total", factory: factory)
        storageCommitLatency = CoreMetrics.Timer(label: "partyserver_storage_commit_seconds", factory: factory)
        var servers: [String: ServerMetrics] = [:]
        for name in routeNames {
            servers[name] = ServerMetrics(routeName: name, factory: factory)
        }
        self.servers = servers
    }

    /// The metrics of one server type (a detached set if the name was not registered).
    package func server(_ routeName: String) -> ServerMetrics {
        servers[routeName] ?? ServerMetrics(routeName: routeName, factory: PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()))
    }

    /// Records one storage transaction.
    package func recordCommit(submissions: Int, duration: Duration) {
        storageCommits.increment()
        storageWrites.increment(by: submissions)
        storageCommitLatency.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// The Prometheus text exposition of every metric.
    package func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}
