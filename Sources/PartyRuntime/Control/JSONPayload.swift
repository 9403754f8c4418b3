import Foundation

/// A JSON value carried as is, for example the `auth` a backend attaches to a connection token
/// with `connect`; the room decodes it into its own type with `decode(_:)`. Numbers are kept as
/// doubles, so integers beyond 2^53 lose precision: send those as strings.
///
/// ```swift
/// struct Grant: Decodable { var role: String }
/// let role = try context.auth?.decode(Grant.self).role
/// ```
public struct JSONPayload: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The value as compact JSON text (UTF-8), object keys sorted.
    public let data: Data

    /// Wraps JSON text; throws `ControlError.invalidJSON` when `data` is not one JSON value.
    public init(json data: Data) throws(ControlError) {
        let value: AnyJSON
        do {
            value = try JSONDecoder().decode(AnyJSON.self, from: data)
        } catch {
            throw .invalidJSON("\(error)")
        }
        self.init(value)
    }

    /// Encodes `value` as JSON.
    public init(encoding value: some Encodable) throws(ControlError) {
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            throw .invalidJSON("\(error)")
        }
        try self.init(json: data)
    }

    init(_ value: AnyJSON) {
        self.data = value.compactData
    }

    /// Decodes the value as `T`.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: data)
    }

    /// The JSON text.
    public var text: String { String(decoding: data, as: UTF8.self) }

    /// The JSON text.
    public var description: String { text }

    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        self.init(try AnyJSON(from: decoder))
    }

    /// Encodes the value itself (not a wrapper).
    public func encode(to encoder: any Encoder) throws {
        let value = try JSONDecoder().decode(AnyJSON.self, from: data)
        try value.encode(to: encoder)
    }
}
