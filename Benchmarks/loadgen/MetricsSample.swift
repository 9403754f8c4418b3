import NIOCore

/// The values of a Prometheus text exposition (`GET /metrics`), or of any `name value` lines,
/// by series (`name` or `name{labels}`, exactly as printed).
struct MetricsSample: Sendable {
    private var values: [String: Double] = [:]

    /// Parses every `SERIES VALUE` line; comments and unparsable lines are skipped.
    init(text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
    }

    /// The value of `name`, labelled `server="…"` when `server` is given; nil if absent.
    func value(_ name: String, server: String? = nil) -> Double? {
        values[server.map { "\(name){server=\"\($0)\"}" } ?? name]
    }

    /// Every series of `name` with one label `label`: that label's value and the series' value.
    func labelled(_ name: String, label: String) -> [(String, Double)] {
        let prefix = "\(name){\(label)=\""
        return values.compactMap { key, value in
            guard key.hasPrefix(prefix), key.hasSuffix("\"}") else { return nil }
            return (String(key.dropFirst(prefix.count).dropLast(2)), value)
        }
    }

    /// The value of `name` as a whole number, 0 if absent.
    func count(_ name: String, server: String? = nil) -> Int {
        Int(value(name, server: server) ?? 0)
    }

    /// Fetches `/metrics` (or `path`) from the server behind `target`.
    static func fetch(from target: TargetURL, path: String = "/metrics", method: String = "GET", on loop: any EventLoop) async throws -> MetricsSample {
        let response = try await HTTPFetch.fetch(path, method: method, target: target, on: loop)
        guard response.status == 200 else {
            throw RunFailure.aborted("\(method) \(path) answered \(response.status)")
        }
        return MetricsSample(text: response.body)
    }
}

/// Polls GET /metrics every 20 ms until `partyserver_rooms_hibernated{server}` reaches `rooms`
/// and no room of `server` is live.
func waitForHibernation(target: TargetURL, server: String, rooms: Int, loop: any EventLoop, deadline: NIODeadline) async throws {
    while true {
        let sample = try await MetricsSample.fetch(from: target, on: loop)
        let hibernated = sample.count("partyserver_rooms_hibernated", server: server)
        let live = sample.count("partyserver_rooms_live", server: server)
        if hibernated >= rooms, live == 0 { return }
        guard NIODeadline.now() < deadline else {
            throw RunFailure.aborted("timed out waiting for hibernation: \(hibernated) of \(rooms) hibernated, \(live) live")
        }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
}
