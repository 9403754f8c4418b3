import Foundation

/// The JSON shapes of the control API (snake_case on the wire).
enum ControlJSON {
    /// `POST /connect` body: Jamsocket's `ConnectRequest` plus `server`.
    struct ConnectBody: Decodable {
        /// The server type; the configuration's default when left out.
        var server: String?
        var key: String?
        /// Left out or `true`: spawn with the defaults when no live room holds the key; `false`:
        /// find only.
        var spawn: SpawnChoice
        var user: String?
        var auth: JSONPayload?

        enum CodingKeys: String, CodingKey {
            case server, key, spawn, user, auth
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            server = try container.decodeIfPresent(String.self, forKey: .server)
            key = try container.decodeIfPresent(String.self, forKey: .key)
            spawn = try container.decodeIfPresent(SpawnChoice.self, forKey: .spawn) ?? .defaults
            user = try container.decodeIfPresent(String.self, forKey: .user)
            auth = try container.decodeIfPresent(JSONPayload.self, forKey: .auth)
        }

        /// The spawn options to pass to `RoomControl.connect`; nil to find only.
        func spawnOptions() throws(ControlError) -> RoomSpawn? {
            switch spawn {
            case .defaults: return RoomSpawn()
            case .never:
                guard key != nil else { throw .nothingToConnect }
                return nil
            case .options(let body): return try body.spawn()
            }
        }
    }

    /// `spawn` in a connect body: a boolean or an object.
    enum SpawnChoice: Decodable {
        case defaults
        case never
        case options(SpawnBody)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .defaults
            } else if let flag = try? container.decode(Bool.self) {
                self = flag ? .defaults : .never
            } else {
                self = .options(try container.decode(SpawnBody.self))
            }
        }
    }

    /// `spawn` options: Jamsocket's `SpawnOptions` (`cluster`, `executable.mount` and
    /// `executable.resource_limits` are accepted and ignored; `env` may also sit at this level).
    struct SpawnBody: Decodable {
        var tag: String?
        var lifetimeLimitSeconds: Double?
        var maxIdleSeconds: Double?
        var env: [String: String]?
        var executable: Executable?

        /// `spawn.executable`.
        struct Executable: Decodable {
            var env: [String: String]?
        }

        enum CodingKeys: String, CodingKey {
            case tag, env, executable
            case lifetimeLimitSeconds = "lifetime_limit_seconds"
            case maxIdleSeconds = "max_idle_seconds"
        }

        /// The Swift spawn options; rejects limits that are not finite numbers of seconds.
        /// `executable.env` is merged over `env`.
        func spawn() throws(ControlError) -> RoomSpawn {
            let environment = (env ?? [:]).merging(executable?.env ?? [:]) { _, executable in executable }
            return RoomSpawn(
                lifetimeLimit: try Self.duration(lifetimeLimitSeconds, "lifetime_limit_seconds"),
                maxIdle: try Self.duration(maxIdleSeconds, "max_idle_seconds"), env: environment, tag: tag
            )
        }

        private static func duration(_ seconds: Double?, _ label: String) throws(ControlError) -> Duration? {
            guard let seconds else { return nil }
            guard seconds.isFinite, seconds > 0, seconds <= 86_400 * 365 else {
                throw .invalidArgument("\(label) must be a number of seconds greater than 0 and at most one year, got \(seconds)")
            }
            return .milliseconds(Int64((seconds * 1000).rounded(.up)))
        }
    }

    /// `POST /match` body.
    struct MatchBody: Decodable {
        var server: String?
        /// Fields the room's metadata must have (a JSON object).
        var metadata: JSONPayload?
        var user: String?
        var auth: JSONPayload?
    }

    /// The `match` answer: the connect answer (its `url` carries `?seat=`) plus the seat.
    struct MatchAnswer: Encodable {
        var room: ConnectAnswer
        var seat: String
        var seatExpiresAt: String

        enum CodingKeys: String, CodingKey {
            case seat
            case seatExpiresAt = "seat_expires_at"
        }

        func encode(to encoder: any Encoder) throws {
            try room.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(seat, forKey: .seat)
            try container.encode(seatExpiresAt, forKey: .seatExpiresAt)
        }
    }

    /// `POST …/terminate` body (optional).
    struct TerminateBody: Decodable {
        var hard: Bool?
    }

    /// The `connect` answer: Jamsocket's `ConnectResponse` (`backend_id` is `server/name`) plus
    /// `room_id` (the same), `server`, `name` and `key`.
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
            case backendID = "backend_id", roomID = "room_id", server, name, spawned, status, key, url, token
            case secretToken = "secret_token", statusURL = "status_url", readyURL = "ready_url"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(roomID, forKey: .backendID)
            try container.encode(roomID, forKey: .roomID)
            try container.encode(server, forKey: .server)
            try container.encode(name, forKey: .name)
            try container.encode(spawned, forKey: .spawned)
            try container.encode(status, forKey: .status)
            try container.encode(key, forKey: .key)
            try container.encode(url, forKey: .url)
            try container.encode(token, forKey: .token)
            // Plane hands backends a per-connection secret; rooms here verify signed tokens instead.
            try container.encodeNil(forKey: .secretToken)
            try container.encode(statusURL, forKey: .statusURL)
            try container.encode(readyURL, forKey: .readyURL)
        }
    }

    /// A status, as `GET …/status` answers and each status stream event carries.
    struct Status: Encodable {
        var backendID: String
        var server: String
        var name: String
        var status: RoomStatus
        var time: String
        var terminationReason: TerminationReason?
        var terminationKind: TerminationKind?
        var exitError: Bool?
        var hibernated: Bool

        enum CodingKeys: String, CodingKey {
            case server, name, status, time, hibernated
            case backendID = "backend_id"
            case terminationReason = "termination_reason", terminationKind = "termination_kind", exitError = "exit_error"
        }

        init(_ event: RoomStatusEvent) {
            backendID = "\(event.server)/\(event.name)"
            server = event.server
            name = event.name
            status = event.status
            time = ControlJSON.timestamp(event.time)
            terminationReason = event.terminationReason
            terminationKind = event.terminationKind
            exitError = event.exitError
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
        var locked: Bool
        var reservedSeats: Int
        var metadata: JSONPayload?

        enum CodingKeys: String, CodingKey {
            case server, name, status, time, hibernated, connections, key, locked, metadata
            case terminationReason = "termination_reason", lastActivity = "last_activity", reservedSeats = "reserved_seats"
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
            locked = summary.locked
            reservedSeats = summary.reservedSeats
            metadata = summary.metadata
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
