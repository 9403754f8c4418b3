import NIOCore

/// The server's memory at one moment of the memory scenario: VmRSS from /proc, the heap figures
/// of the benchmark server's memory probe, and the room counts of /metrics.
struct MemoryPhase: Sendable {
    var rssKiB: Int?
    var heap: MetricsSample?
    var liveRooms: Int?
    var hibernatedRooms: Int?

    /// Reads /metrics, VmRSS and the probe (after a heap trim when `trim`), in that order.
    static func measure(pid: Int32, target: TargetURL, probePath: String, server: String, loop: any EventLoop, trim: Bool = false) async -> MemoryPhase {
        var phase = MemoryPhase()
        if let metrics = try? await MetricsSample.fetch(from: target, on: loop) {
            phase.liveRooms = metrics.count("partyserver_rooms_live", server: server)
            phase.hibernatedRooms = metrics.count("partyserver_rooms_hibernated", server: server)
        }
        if trim {
            phase.heap = try? await MetricsSample.fetch(from: target, path: probePath, method: "POST", on: loop)
            phase.rssKiB = ProcFS.statusKiB("VmRSS", pid: pid)
        } else {
            phase.rssKiB = ProcFS.statusKiB("VmRSS", pid: pid)
            phase.heap = try? await MetricsSample.fetch(from: target, path: probePath, on: loop)
        }
        return phase
    }

    /// The phase's figures; with `since`, also the growth per room over that phase.
    func json(since empty: MemoryPhase? = nil, rooms: Int = 1) -> JSONObject {
        var json = JSONObject()
        json["rss_kib"] = rssKiB.map { .int($0) } ?? .null
        let inUse = heap?.value("malloc_in_use_bytes").map { Int($0) }
        json["malloc_in_use_bytes"] = inUse.map { .int($0) } ?? .null
        json["malloc_free_bytes"] = heap?.value("malloc_free_bytes").map { .int(Int($0)) } ?? .null
        if let liveRooms { json["rooms_live"] = .int(liveRooms) }
        if let hibernatedRooms { json["rooms_hibernated"] = .int(hibernatedRooms) }
        if let empty, rooms > 0 {
            if let rss = rssKiB, let base = empty.rssKiB {
                json["rss_bytes_per_room"] = .int((rss - base) * 1024 / rooms)
            }
            if let inUse, let base = empty.heap?.value("malloc_in_use_bytes").map({ Int($0) }) {
                json["malloc_in_use_bytes_per_room"] = .int((inUse - base) / rooms)
            }
        }
        return json
    }
}
