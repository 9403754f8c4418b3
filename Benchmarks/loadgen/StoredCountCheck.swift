import NIOCore

/// The counter scenario's durability check: once every room hibernated (its actor released),
/// each room's count is read over HTTP, which wakes the room and loads the count from storage,
/// and compared with the last count the room broadcast.
struct StoredCountCheck: Sendable {
    var rooms = 0
    /// Rooms whose stored count equals the last count broadcast.
    var matched = 0
    /// Rooms whose stored count is lower: an acknowledged increment was lost.
    var behind = 0
    /// Rooms whose stored count is higher than any count broadcast.
    var ahead = 0
    /// Rooms whose count could not be read.
    var unreadable = 0
    /// A few mismatches, for the report.
    var examples: [String] = []

    /// Waits (until `deadline`) for every room to hibernate, then reads and compares the counts;
    /// `finals[i]` is room i's expected count.
    static func run(target: TargetURL, finals: [Int?], loop: any EventLoop, deadline: NIODeadline) async throws -> StoredCountCheck {
        try await waitForHibernation(target: target, server: target.serverName ?? "", rooms: finals.count, loop: loop, deadline: deadline)
        let stored = await boundedConcurrently(count: finals.count, concurrency: 16) { index -> Int? in
            guard let response = try? await HTTPFetch.fetch(target.path(room: index), target: target, on: loop), response.status == 200 else {
                return nil
            }
            return Array(response.body.utf8).withUnsafeBytes { CounterClient.parseCount($0) }
        }
        var check = StoredCountCheck()
        check.rooms = finals.count
        for (index, (expected, actual)) in zip(finals, stored).enumerated() {
            guard let expected, let actual else {
                check.unreadable += 1
                continue
            }
            if actual == expected {
                check.matched += 1
                continue
            }
            if actual < expected { check.behind += 1 } else { check.ahead += 1 }
            if check.examples.count < 5 { check.examples.append("room \(index): stored \(actual), last broadcast \(expected)") }
        }
        return check
    }

    /// The check as JSON.
    func json() -> JSONObject {
        var json = JSONObject()
        json["rooms"] = .int(rooms)
        json["matched"] = .int(matched)
        json["behind"] = .int(behind)
        json["ahead"] = .int(ahead)
        json["unreadable"] = .int(unreadable)
        if !examples.isEmpty { json["examples"] = .array(examples.map(JSONValue.string)) }
        return json
    }
}
