import PartyRuntime
/// A Logux protocol message a client sent, read from a text frame.
enum LoguxMessage {
    case connect(protocolVersion: Int64, node: String, synced: Int64, options: [String: AnyJSON])
    case headers([String: AnyJSON])
    case ping(Int64)
    case pong
    case sync(added: Int64, pairs: [(action: AnyJSON, meta: AnyJSON)])
    case synced(Int64)
    case error(type: String, options: AnyJSON?)
    case debug(type: String, data: AnyJSON?)

    /// Why a frame is not a message this server takes.
    enum Failure: Error {
        /// Not JSON, not an array starting with a string, or a known message with wrong fields.
        case wrongFormat
        /// An array starting with a message name this server does not know.
        case unknownMessage(String)
    }

    /// The protocol version this server speaks (and the oldest it accepts).
    static let protocolVersion: Int64 = 5

    /// Reads `text`.
    static func parse(_ text: String) throws(Failure) -> LoguxMessage {
        // Every client answers every `sync` with `synced`: read the common compact form directly.
        if let position = shortNumber(after: "[\"synced\",", in: text) { return .synced(position) }
        if let position = shortNumber(after: "[\"ping\",", in: text) { return .ping(position) }
        guard case .array(let items)? = LoguxJSON.parse(text), let name = items.first?.string else { throw .wrongFormat }
        switch name {
        case "connect":
            guard (4...5).contains(items.count), let version = items[1].integer, let node = items[2].string,
                let synced = items[3].integer
            else { throw .wrongFormat }
            var options: [String: AnyJSON] = [:]
            if items.count == 5 {
                guard let fields = items[4].object else { throw .wrongFormat }
                options = fields
            }
            return .connect(protocolVersion: version, node: node, synced: synced, options: options)
        case "headers":
            guard items.count == 2, let fields = items[1].object else { throw .wrongFormat }
            return .headers(fields)
        case "ping":
            guard items.count == 2, let synced = items[1].integer else { throw .wrongFormat }
            return .ping(synced)
        case "pong":
            guard items.count == 2, items[1].integer != nil else { throw .wrongFormat }
            return .pong
        case "sync":
            guard items.count >= 4, items.count % 2 == 0, let added = items[1].integer else { throw .wrongFormat }
            var pairs: [(action: AnyJSON, meta: AnyJSON)] = []
            pairs.reserveCapacity((items.count - 2) / 2)
            var index = 2
            while index < items.count {
                pairs.append((items[index], items[index + 1]))
                index += 2
            }
            return .sync(added: added, pairs: pairs)
        case "synced":
            guard items.count == 2, let synced = items[1].integer else { throw .wrongFormat }
            return .synced(synced)
        case "error":
            guard (2...3).contains(items.count), let type = items[1].string else { throw .wrongFormat }
            return .error(type: type, options: items.count == 3 ? items[2] : nil)
        case "debug":
            guard (2...3).contains(items.count), let type = items[1].string else { throw .wrongFormat }
            return .debug(type: type, data: items.count == 3 ? items[2] : nil)
        default:
            throw .unknownMessage(name)
        }
    }

    /// The number in `text` when it is exactly `prefix`, 1–15 digits and `]`.
    private static func shortNumber(after prefix: String, in text: String) -> Int64? {
        let utf8 = text.utf8
        guard utf8.count > prefix.utf8.count + 1, utf8.count <= prefix.utf8.count + 16, utf8.last == UInt8(ascii: "]"),
            utf8.starts(with: prefix.utf8)
        else { return nil }
        var value: Int64 = 0
        for byte in utf8.dropFirst(prefix.utf8.count).dropLast() {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    // MARK: Writing

    /// `["error", type]` or `["error", type, options]`.
    static func error(_ type: String, _ options: AnyJSON? = nil) -> String {
        var output = "[\"error\","
        LoguxJSON.write(string: type, into: &output)
        if let options {
            output += ","
            LoguxJSON.write(options, into: &output)
        }
        return output + "]"
    }

    /// `["error", type, text]` with the offending message, cut to 1,000 characters.
    static func error(_ type: String, message text: String) -> String {
        error(type, .string(text.count > 1000 ? String(text.prefix(1000)) : text))
    }

    /// `["connected", 5, node, [start, end], {"subprotocol": N}]`.
    static func connected(node: String, start: Int64, end: Int64, subprotocol: Int) -> String {
        var output = "[\"connected\",\(protocolVersion),"
        LoguxJSON.write(string: node, into: &output)
        output += ",[\(start),\(end)],{\"subprotocol\":\(subprotocol)}]"
        return output
    }
}
