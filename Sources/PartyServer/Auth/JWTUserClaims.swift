import Foundation
import JWTKit

/// The claims of a token as PartyServer reads and writes them: the registered ones it checks
/// (`sub`, `exp`, `nbf`, `iat`, `iss`, `aud`), `name` and `roles`, and every other claim as text.
struct JWTUserClaims: JWTPayload, Equatable {
    var subject: String?
    var expiration: Date?
    var notBefore: Date?
    var issuedAt: Date?
    var issuer: String?
    var audience: [String] = []
    var name: String?
    var roles: [String] = []
    /// Other claims; strings as they are, numbers and booleans as text, arrays and objects as JSON.
    var extra: [String: String] = [:]

    static let registered: Set<String> = ["sub", "exp", "nbf", "iat", "iss", "aud", "name", "roles", "jti"]

    init(subject: String?, expiration: Date?, issuedAt: Date? = nil, issuer: String? = nil, audience: [String] = [], name: String? = nil, roles: [String] = [], extra: [String: String] = [:]) {
        self.subject = subject
        self.expiration = expiration
        self.issuedAt = issuedAt
        self.issuer = issuer
        self.audience = audience
        self.name = name
        self.roles = roles
        self.extra = extra
    }

    /// Signature checks only: times, issuer and audience are checked by `JWTAuthenticator` with
    /// the application's clock.
    func verify(using algorithm: some JWTAlgorithm) throws {}

    /// The user this token identifies.
    var user: User? {
        guard let subject, !subject.isEmpty else { return nil }
        return User(id: subject, name: name, roles: Set(roles), claims: extra)
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            let value = try container.decode(ClaimValue.self, forKey: key)
            switch key.stringValue {
            case "sub": subject = value.text
            case "exp": expiration = try value.date(key.stringValue)
            case "nbf": notBefore = try value.date(key.stringValue)
            case "iat": issuedAt = try value.date(key.stringValue)
            case "iss": issuer = value.text
            case "aud": audience = value.texts
            case "name": name = value.text
            case "roles": roles = value.texts.flatMap { $0.split(separator: " ").map(String.init) }
            case "jti": break
            default: extra[key.stringValue] = value.text
            }
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encodeIfPresent(subject, forKey: Key(stringValue: "sub"))
        try container.encodeIfPresent(expiration.map { Int64($0.timeIntervalSince1970) }, forKey: Key(stringValue: "exp"))
        try container.encodeIfPresent(notBefore.map { Int64($0.timeIntervalSince1970) }, forKey: Key(stringValue: "nbf"))
        try container.encodeIfPresent(issuedAt.map { Int64($0.timeIntervalSince1970) }, forKey: Key(stringValue: "iat"))
        try container.encodeIfPresent(issuer, forKey: Key(stringValue: "iss"))
        if audience.count == 1 {
            try container.encode(audience[0], forKey: Key(stringValue: "aud"))
        } else if !audience.isEmpty {
            try container.encode(audience, forKey: Key(stringValue: "aud"))
        }
        try container.encodeIfPresent(name, forKey: Key(stringValue: "name"))
        if !roles.isEmpty { try container.encode(roles, forKey: Key(stringValue: "roles")) }
        for (key, value) in extra where !Self.registered.contains(key) {
            try container.encode(value, forKey: Key(stringValue: key))
        }
    }
}

/// Any JSON value of a claim, kept as text.
private indirect enum ClaimValue: Decodable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case list([ClaimValue])
    case object([(String, ClaimValue)])

    init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: AnyKey.self) {
            self = .object(try container.allKeys.sorted { $0.stringValue < $1.stringValue }.map { ($0.stringValue, try container.decode(ClaimValue.self, forKey: $0)) })
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var list: [ClaimValue] = []
            while !container.isAtEnd { list.append(try container.decode(ClaimValue.self)) }
            self = .list(list)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    /// The value as claim text: a string as it is, anything else as JSON.
    var text: String {
        if case .string(let string) = self { return string }
        return json
    }

    /// The value as JSON text.
    var json: String {
        switch self {
        case .string(let string): Self.quoted(string)
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let bool): bool ? "true" : "false"
        case .null: "null"
        case .list(let list): "[" + list.map(\.json).joined(separator: ",") + "]"
        case .object(let fields): "{" + fields.map { Self.quoted($0.0) + ":" + $0.1.json }.joined(separator: ",") + "}"
        }
    }

    /// Every element's text for a list, else the one text.
    var texts: [String] {
        if case .list(let list) = self { return list.map(\.text) }
        return [text]
    }

    func date(_ claim: String) throws -> Date {
        guard case .number(let seconds) = self, seconds.isFinite else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(claim) must be a number of seconds since 1970"))
        }
        return Date(timeIntervalSince1970: seconds)
    }

    private static func quoted(_ string: String) -> String {
        (try? String(decoding: JSONEncoder().encode(string), as: UTF8.self)) ?? "\"\""
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
