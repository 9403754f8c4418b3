import Foundation

/// How a stored value's bytes are to be read.
package enum StoredEncoding: Int, Sendable {
    /// JSON from `JSONEncoder`.
    case json = 0
    /// The bytes of a `Data` value, as given.
    case raw = 1
}

/// Checks keys and values against the configured limits and converts them to stored bytes.
package struct StorageCodec: Sendable {
    /// Largest key in UTF-8 bytes.
    let maxKeyBytes: Int
    /// Largest encoded value in bytes.
    let maxValueBytes: Int
    /// Shared by every room: safe for concurrent use, and saves an allocation per write.
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()

    /// The stored form of `key` (its UTF-8 bytes), or `keyTooLarge`.
    func key(_ key: String) throws(StorageError) -> Data {
        let count = key.utf8.count
        guard count <= maxKeyBytes else { throw .keyTooLarge(bytes: count, limit: maxKeyBytes) }
        return Data(key.utf8)
    }

    /// The stored form of `value`: a `Data` value as is, anything else as JSON.
    func encode<T: Encodable>(_ value: T, key: String) throws(StorageError) -> (data: Data, encoding: StoredEncoding) {
        let stored: (data: Data, encoding: StoredEncoding)
        if let raw = value as? Data {
            stored = (raw, .raw)
        } else {
            do {
                stored = (try encoder.encode(value), .json)
            } catch {
                throw .encodingFailed(key: key, description: "\(error)")
            }
        }
        guard stored.data.count <= maxValueBytes else {
            throw .valueTooLarge(key: key, bytes: stored.data.count, limit: maxValueBytes)
        }
        return stored
    }

    /// Reads a stored value as `T`.
    func decode<T: Decodable>(_ type: T.Type, from data: Data, encoding: Int, key: String) throws(StorageError) -> T {
        switch StoredEncoding(rawValue: encoding) {
        case .raw:
            guard let value = data as? T else {
                throw .decodingFailed(key: key, description: "it was stored as raw bytes (Data), not as \(T.self)")
            }
            return value
        case .json:
            do {
                return try decoder.decode(T.self, from: data)
            } catch {
                throw .decodingFailed(key: key, description: "\(error)")
            }
        case nil:
            throw .decodingFailed(key: key, description: "unknown stored encoding \(encoding)")
        }
    }

    /// A stored key's string.
    package static func string(_ key: Data) -> String {
        String(decoding: key, as: UTF8.self)
    }
}
