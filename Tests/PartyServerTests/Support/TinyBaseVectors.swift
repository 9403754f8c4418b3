import Foundation

/// The golden vectors of `Fixtures/tinybase-vectors.json`, made by
/// `Tests/Python/tinybase_vectors.py`.
struct TinyBaseVectors: Decodable {
    struct StringHash: Decodable {
        var string: String
        var hash: UInt32
    }

    struct ValueHash: Decodable {
        var value: String
        var hlc: String
        var hash: UInt32
    }

    struct NumberText: Decodable {
        var json: String
        var text: String
    }

    struct HLC: Decodable {
        var time: Int64
        var counter: Int64
        var uniqueId: String
        var clientPart: String
        var hlc: String
    }

    struct Clock: Decodable {
        struct Step: Decodable {
            var op: String
            var now: Int64
            var hlc: String?
            var seen: String?
        }

        var uniqueId: String
        var steps: [Step]
    }

    struct Store: Decodable {
        struct Step: Decodable {
            var apply: String?
            var setCell: [String]?
            var setValue: [String]?
            var now: Int64
            var changed: Bool?
            var changes: String??
            var contentHashes: [UInt32]
        }

        struct Query: Decodable {
            var type: Int
            var body: String
            var response: String
        }

        var uniqueId: String
        var steps: [Step]
        var mergeableContent: String
        var tableHashes: String
        var rowHashes: String
        var cellHashes: String
        var valueHashes: String
        var queries: [Query]
    }

    struct Fragments: Decodable {
        var to: String
        var requestId: String?
        var type: Int
        var body: String
        var fragmentSize: Int
        var messageId: String
        var payloads: [String]
    }

    var hashes: [StringHash]
    var valueHashes: [ValueHash]
    var numbers: [NumberText]
    var hlcs: [HLC]
    var clock: Clock
    var store: Store
    var fragments: [Fragments]

    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("tinybase-vectors.json")

    static func load() throws -> TinyBaseVectors {
        try JSONDecoder().decode(TinyBaseVectors.self, from: Data(contentsOf: file))
    }
}
