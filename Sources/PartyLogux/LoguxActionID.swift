import PartyRuntime
/// An action id, `"<ms> <nodeId> <seq>"`: the creation time in milliseconds since 1970, the
/// node that created the action, and a sequence number within that millisecond.
struct LoguxActionID: Sendable, Hashable {
    var time: Int64
    var node: String
    var sequence: Int64

    /// The id's text form, as the log stores it.
    var text: String { "\(time) \(node) \(sequence)" }

    /// Reads the text form; `nil` unless it is three space-separated parts with whole numbers
    /// around a valid node id.
    init?(text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, let time = Int64(parts[0]), let sequence = Int64(parts[2]), sequence >= 0,
            LoguxNodeID(String(parts[1])) != nil
        else { return nil }
        self.init(time: time, node: String(parts[1]), sequence: sequence)
    }

    init(time: Int64, node: String, sequence: Int64) {
        self.time = time
        self.node = node
        self.sequence = sequence
    }

    /// Reads an id as a `sync` message carries it: `shift`, `[shift, seq]` or
    /// `[shift, nodeId, seq]`, shifts counted from `base` (the `connected` send time), the node
    /// `sender` when it is left out. The long text form is accepted too.
    init?(wire: AnyJSON, base: Int64, sender: String) {
        switch wire {
        case .number:
            guard let shift = wire.integer else { return nil }
            self.init(time: base + shift, node: sender, sequence: 0)
        case .string(let text):
            self.init(text: text)
        case .array(let parts) where parts.count == 2:
            guard let shift = parts[0].integer, let sequence = parts[1].integer, sequence >= 0 else { return nil }
            self.init(time: base + shift, node: sender, sequence: sequence)
        case .array(let parts) where parts.count == 3:
            guard let shift = parts[0].integer, let node = parts[1].string, LoguxNodeID(node) != nil,
                let sequence = parts[2].integer, sequence >= 0
            else { return nil }
            self.init(time: base + shift, node: node, sequence: sequence)
        default:
            return nil
        }
    }

    /// Appends the id as a `sync` message to a peer sends it: shifted from `base`, the node left
    /// out when it is `local` (the sender's own), `[shift, 0]` written as `shift`.
    func writeWire(base: Int64, local: String, into output: inout String) {
        let shift = time - base
        if node == local {
            output += sequence == 0 ? String(shift) : "[\(shift),\(sequence)]"
        } else {
            output += "[\(shift),"
            LoguxJSON.write(string: node, into: &output)
            output += ",\(sequence)]"
        }
    }
}
