import Foundation

/// The JSON shapes of the control API (snake_case on the wire).
enum ControlJSON {
    /// `POST /connect` body.
    struct ConnectBody: Decodable {
        var server: String
        var key: String?
        var spawn: SpawnBody?
        var user: String?
        var auth: JSONPayload?
    }

    /// `spawn` in a connect body.
    struct SpawnBody: Decodable {
        var lifetimeLimitSeconds: Double?
        var maxIdleSeconds: Double?
        var env: [String: String]?

        enum CodingKeys: String, CodingKey {
            case lifetimeLimitSeconds = "lifetime_limit_seconds"
            case maxIdleSeconds = "max_idle_seconds"
            case env
        }

        /// The Swift spawn options; rejects limits that are not finite numbers of seconds.
        func spawn() throws(ControlError) -> RoomSpawn {
            RoomSpawn(lifetimeLimit: try Self.duration(lifetimeLimitSeconds, "lifetime_limit_seconds"), maxIdle: try Self.duration(maxIdleSeconds, "max_idle_seconds"), env: env ?? [:])
        }

        private static func duration(_ seconds: Double?, _ label: String) throws(ControlError) -> Duration? {
            guard let seconds else { return nil }
            guard seconds.isFinite, seconds > 0, seconds <= 86_400 * 365 else {
                throw .invalidArgument("\(label) must be a number of seconds greater than 0 and at most one year, got \(seconds)")
            }
            return .milliseconds(Int64((seconds * 1000).rounded(.up)))
        }
    }

    /// `POST …/terminate` body (optional).
    struct TerminateBody: Decodable {
        var hard: Bool?
    }

    /// The `connect` answer.
    struct ConnectAnswer: Encodable {
        var roomID: String
        var server: String
        var name: String
        var spawned: Bool
        var status: RoomStatus
        var key: String?
        var url: String
        var token: String?
        var statusURL: String
        var readyURL: String

        enum CodingKeys: String, CodingKey {
            case roomID = "room_id", server, name, spawned, status, key, url, token
            case statusURL = "status_url", readyURL = "ready_url"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(roomID, forKey: .roomID)
            try container.encode(server, forKey: .server)
            try container.encode(name, forKey: .name)
            try container.encode(spawned, forKey: .spawned)
            try container.encode(status, forKey: .status)
            try container.encode(key, forKey: .key)
            try container.encode(url, forKey: .url)
            try container.encode(token, forKey: .token)
            try container.encode(statusURL, forKey: .statusURL)
            try container.encode(readyURL, forKey: .readyURL)
        }
    }

    /// A status, as `GET …/status` answers and each status stream event carries.
    struct Status: Encodable {
        var server: String
        var name: String
        var status: RoomStatus
        var time: String
        var terminationReason: TerminationReason?
        var hibernated: Bool

        enum CodingKeys: String, CodingKey {
            case server, name, status, time, hibernated
            case terminationReason = "termination_reason"
        }

        init(_ event: RoomStatusEvent) {
            server = event.server
            name = event.name
            status = event.status
            time = ControlJSON.timestamp(event.time)
            terminationReason = event.terminationReason
            hibernated = event.hibernated
        }
    }

    /// One room in `GET /rooms`.
    struct RoomEntry: Encodable {
        var server: String
        var name: String
        var status: RoomStatus
        var time: String
        var terminationReason: TerminationReason?
        var hibernated: Bool
        var connections: Int
        var lastActivity: String
        var key: String?

        enum CodingKeys: String, CodingKey {
            case server, name, status, time, hibernated, connections, key
            case terminationReason = "termination_reason", lastActivity = "last_activity"
        }

        init(_ summary: RoomSummary) {
            server = summary.status.server
            name = summary.status.name
            status = summary.status.status
            time = ControlJSON.timestamp(summary.status.time)
            terminationReason = summary.status.terminationReason
            hibernated = summary.status.hibernated
            connections = summary.connections
            lastActivity = ControlJSON.timestamp(summary.lastActivity)
            key = summary.key
        }
    }

    /// `GET /rooms` answer.
    struct RoomList: Encodable {
        var rooms: [RoomEntry]
    }

    /// A control API error body: `{"error", "status", "code"}`.
    struct ErrorBody: Encodable {
        var error: String
        var status: Int
        var code: String
    }

    /// ISO 8601 with milliseconds, UTC.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Compact JSON text of `value`.
    static func text(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
