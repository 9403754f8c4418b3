import Prometheus

/// How the server exports its metrics: a Prometheus registry per application (several servers in
/// one process, as in tests, do not share counters), rendered as text at `GET /metrics`.
enum PrometheusExport {
    /// The factory the application's `PartyMetrics` are made with, recording into `registry`,
    /// with buckets for the commit-time histogram.
    static func factory(_ registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[PartyMetrics.commitSecondsLabel] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .seconds(1),
        ]
        return factory
    }
}
