/// The server's storage counters over the measured window of the counter scenario: commits,
/// writes, and the commit-duration histogram's change between two `/metrics` readings.
struct StorageWindow: Sendable {
    let commits: Int
    let writes: Int
    let commitSeconds: Double
    let wallSeconds: Double
    /// Commits per histogram bucket (upper bound in seconds), for the measured window only.
    let buckets: [(bound: Double, count: Int)]

    /// The change from `before` to `after`; `wallSeconds` is the window's length.
    init(before: MetricsSample, after: MetricsSample, wallSeconds: Double) {
        func delta(_ name: String) -> Double { (after.value(name) ?? 0) - (before.value(name) ?? 0) }
        commits = Int(delta("partyserver_storage_commits_total"))
        writes = Int(delta("partyserver_storage_writes_total"))
        commitSeconds = delta("partyserver_storage_commit_seconds_sum")
        self.wallSeconds = wallSeconds
        let name = "partyserver_storage_commit_seconds_bucket"
        buckets = after.labelled(name, label: "le").compactMap { label, cumulative in
            guard let bound = Double(label == "+Inf" ? "inf" : label) else { return nil }
            let earlier = before.value("\(name){le=\"\(label)\"}") ?? 0
            return (bound, Int(cumulative - earlier))
        }.sorted { $0.bound < $1.bound }
    }

    /// The smallest bucket bound under which `fraction` of the window's commits finished.
    func commitBound(_ fraction: Double) -> Double? {
        guard let total = buckets.last?.count, total > 0 else { return nil }
        return buckets.first { Double($0.count) >= fraction * Double(total) }?.bound
    }

    /// The window as JSON: counts, writes per commit, mean commit time, bucket bounds of p50/p99.
    func json() -> JSONObject {
        var json = JSONObject()
        json["commits"] = .int(commits)
        json["writes"] = .int(writes)
        json["writes_per_commit"] = .number(commits > 0 ? Double(writes) / Double(commits) : 0, decimals: 2)
        json["commit_ms_mean"] = .number(commits > 0 ? commitSeconds * 1000 / Double(commits) : 0, decimals: 4)
        json["commit_ms_p50_at_most"] = commitBound(0.5).map { .number($0 * 1000, decimals: 3) } ?? .null
        json["commit_ms_p99_at_most"] = commitBound(0.99).map { .number($0 * 1000, decimals: 3) } ?? .null
        // Share of the window during which a commit was running (the writer commits one at a time).
        json["commit_busy_fraction"] = .number(wallSeconds > 0 ? commitSeconds / wallSeconds : 0, decimals: 3)
        var histogram = JSONObject()
        for bucket in buckets { histogram[bucket.bound.isInfinite ? "+Inf" : String(bucket.bound * 1000)] = .int(bucket.count) }
        json["commit_ms_le_cumulative"] = .object(histogram)
        return json
    }
}
