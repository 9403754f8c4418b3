import Foundation

/// A job as the `jobs` room sends it.
struct WireJob: Codable, Sendable {
    var id: String
    var state: String
    var input: String
    var result: String?
    var error: String?
    var updatedBy: String
}

/// Any message of the `jobs` room: `jobs` (all), `job` (one change) or `error`.
struct WireMessage: Decodable, Sendable {
    var type: String?
    var jobs: [WireJob]?
    var job: WireJob?
    var id: String?
    var error: String?

    /// Decodes a text message; `nil` for anything else.
    static func decode(_ text: String) -> WireMessage? {
        try? JSONDecoder().decode(WireMessage.self, from: Data(text.utf8))
    }
}

/// Encodes a command for the room.
func command(_ fields: [String: String]) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: (try? encoder.encode(fields)) ?? Data("{}".utf8), as: UTF8.self)
}
