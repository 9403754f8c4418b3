import Foundation
import PartyRuntime
import PartyServer

/// A Logux action: a JSON object with a string `type` and any other fields.
///
/// ```swift
/// struct Rename: Codable { var type = "user/rename"; var name: String }
/// let action = try LoguxAction(encoding: Rename(name: "Ada"))
/// let rename = try action.decode(Rename.self)
/// ```
public struct LoguxAction: Sendable, Equatable {
    /// The action's `type`.
    public let type: String
    /// Every field, `type` included.
    package let fields: [String: AnyJSON]

    /// Reads an action from its fields; `nil` unless `type` is a non-empty string.
    package init?(fields: [String: AnyJSON]) {
        guard let type = fields["type"]?.string, !type.isEmpty else { return nil }
        self.type = type
        self.fields = fields
    }

    /// Encodes `value` as the action; it must encode to a JSON object with a non-empty string
    /// `type`.
    public init(encoding value: some Encodable) throws(LoguxActionError) {
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            throw .notEncodable("\(error)")
        }
        try self.init(json: data)
    }

    /// Reads an action from JSON text; it must be an object with a non-empty string `type`.
    public init(json data: Data) throws(LoguxActionError) {
        guard let value = try? JSONDecoder().decode(AnyJSON.self, from: data) else { throw .notJSON }
        guard let fields = value.object, let action = LoguxAction(fields: fields) else { throw .missingType }
        self = action
    }

    /// An action with `type` and no other fields.
    public init(type: String) {
        self.type = type
        self.fields = ["type": .string(type)]
    }

    /// The action as compact JSON text (keys sorted).
    public var json: String { LoguxJSON.text(.object(fields)) }

    /// Decodes the action as `T`.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    /// The field `name` as JSON text (`nil` when absent), for a quick look without a type.
    public func field(_ name: String) -> String? {
        fields[name].map(LoguxJSON.text)
    }

    /// The string field `name`, when it is a string.
    public func string(_ name: String) -> String? { fields[name]?.string }

    /// The numeric field `name`, when it is a whole number.
    public func integer(_ name: String) -> Int64? { fields[name]?.integer }
}

/// Why a value is not a Logux action.
public enum LoguxActionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The value could not be encoded as JSON.
    case notEncodable(String)
    /// The text is not JSON.
    case notJSON
    /// The JSON is not an object with a non-empty string `type`.
    case missingType

    /// A sentence saying what to fix.
    public var description: String {
        switch self {
        case .notEncodable(let detail): "the action could not be encoded as JSON: \(detail)"
        case .notJSON: "the action is not JSON text"
        case .missingType: "an action must be a JSON object with a non-empty string \"type\""
        }
    }
}
