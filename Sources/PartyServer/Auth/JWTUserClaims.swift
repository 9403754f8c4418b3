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
            let value = try container.decode(AnyJSON.self, forKey: key)
            switch key.stringValue {
            case "sub": subject = value.claimText
            case "exp": expiration = try value.date(key.stringValue)
            case "nbf": notBefore = try value.date(key.stringValue)
            case "iat": issuedAt = try value.date(key.stringValue)
            case "iss": issuer = value.claimText
            case "aud": audience = value.claimTexts
            case "name": name = value.claimText
            case "roles": roles = value.claimTexts.flatMap { $0.split(separator: " ").map(String.init) }
            case "jti": break
            default: extra[key.stringValue] = value.claimText
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

extension AnyJSON {
    /// The value as claim text: a string as it is, anything else as compact JSON.
    fileprivate var claimText: String {
        if case .string(let string) = self { return string }
        return compactText
    }

    /// Every element's claim text for an array, else the one text.
    fileprivate var claimTexts: [String] {
        if case .array(let list) = self { return list.map(\.claimText) }
        return [claimText]
    }

    /// A NumericDate claim (seconds since 1970).
    fileprivate func date(_ claim: String) throws -> Date {
        guard case .number(let seconds) = self, seconds.isFinite else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(claim) must be a number of seconds since 1970"))
        }
        return Date(timeIntervalSince1970: seconds)
    }
}
