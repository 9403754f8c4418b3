/// Reading and writing the Logux protocol-5 messages of the `logux` scenarios straight from and
/// into frame bytes, without a JSON parser: the server writes compact JSON with sorted keys, so
/// the few message shapes the scenarios meet are recognised by their bytes.
enum LoguxWire {
    /// What a server frame is.
    enum Frame {
        /// `["connected", 5, node, [start, end], …]`: `base` is `end`, the time ids are shifted from.
        case connected(base: Int)
        /// `["sync", added, action, meta, …]`: the pairs are read with `forEachPair`.
        case sync(added: Int)
        /// `["synced", added]`.
        case synced(Int)
        /// `["pong", added]`.
        case pong
        /// `["error", …]` or anything not understood.
        case other
    }

    /// What an action in a `sync` is.
    enum ActionKind {
        /// Exactly `{"type":"counter/increment"}`.
        case increment
        /// `{"type":"counter/set","value":N}`.
        case counterSet
        /// `{"id":"<ms> <node> <seq>","type":"logux/processed"}`: the sequence number and node.
        case processed(sequence: Int, node: UnsafeRawBufferPointer)
        /// `logux/undo` or anything else.
        case other
    }

    /// Reads the frame's name and, for `connected`, `sync` and `synced`, its number.
    static func frame(_ bytes: UnsafeRawBufferPointer) -> Frame {
        var scanner = JSONScanner(bytes)
        guard scanner.take(UInt8(ascii: "[")), let name = scanner.string() else { return .other }
        if equal(name, "sync") {
            guard scanner.take(UInt8(ascii: ",")), let added = scanner.integer() else { return .other }
            return .sync(added: added)
        }
        if equal(name, "synced") {
            guard scanner.take(UInt8(ascii: ",")), let added = scanner.integer() else { return .other }
            return .synced(added)
        }
        if equal(name, "connected") {
            // ,5,"server:…",[start,end]
            guard scanner.take(UInt8(ascii: ",")), scanner.integer() != nil, scanner.take(UInt8(ascii: ",")), scanner.string() != nil,
                scanner.take(UInt8(ascii: ",")), scanner.take(UInt8(ascii: "[")), scanner.integer() != nil,
                scanner.take(UInt8(ascii: ",")), let end = scanner.integer()
            else { return .other }
            return .connected(base: end)
        }
        if equal(name, "pong") { return .pong }
        return .other
    }

    /// Calls `body` with each action and meta of a `sync` frame, in order; false when the frame
    /// is malformed.
    static func forEachPair(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) -> Bool {
        var scanner = JSONScanner(bytes)
        guard scanner.take(UInt8(ascii: "[")), scanner.string() != nil, scanner.take(UInt8(ascii: ",")), scanner.integer() != nil else {
            return false
        }
        while scanner.take(UInt8(ascii: ",")) {
            guard let action = scanner.value(), scanner.take(UInt8(ascii: ",")), let meta = scanner.value() else { return false }
            body(action, meta)
        }
        return scanner.take(UInt8(ascii: "]"))
    }

    /// What `action` (one JSON object of a `sync`) is.
    static func kind(of action: UnsafeRawBufferPointer) -> ActionKind {
        if equal(action, #"{"type":"counter/increment"}"#) { return .increment }
        if starts(action, #"{"type":"counter/set","#) { return .counterSet }
        let suffix = #"","type":"logux/processed"}"#
        guard starts(action, #"{"id":""#), ends(action, suffix) else { return .other }
        let id = UnsafeRawBufferPointer(rebasing: action[7..<(action.count - suffix.utf8.count)])
        // "<ms> <node> <seq>": the node may not hold spaces.
        guard let first = id.firstIndex(of: UInt8(ascii: " ")), let last = id.lastIndex(of: UInt8(ascii: " ")), first < last,
            let sequence = digits(UnsafeRawBufferPointer(rebasing: id[(last + 1)...]))
        else { return .other }
        return .processed(sequence: sequence, node: UnsafeRawBufferPointer(rebasing: id[(first + 1)..<last]))
    }

    /// The node and sequence number of a meta's id written `[shift,"node",seq]` (another node's
    /// action); nil for any other form.
    static func foreignID(inMeta meta: UnsafeRawBufferPointer) -> (node: UnsafeRawBufferPointer, sequence: Int)? {
        var scanner = JSONScanner(meta)
        guard scanner.take(UInt8(ascii: "{")), let key = scanner.string(), equal(key, "id"), scanner.take(UInt8(ascii: ":")),
            scanner.take(UInt8(ascii: "[")), scanner.integer() != nil, scanner.take(UInt8(ascii: ",")), let node = scanner.string(),
            scanner.take(UInt8(ascii: ",")), let sequence = scanner.integer(), scanner.take(UInt8(ascii: "]"))
        else { return nil }
        return (node, sequence)
    }

    // MARK: Writing

    /// `["connect",5,"node",synced,{"subprotocol":1}]`.
    static func connect(node: String, synced: Int) -> String {
        #"["connect",5,""# + node + #"",\#(synced),{"subprotocol":1}]"#
    }

    /// `["sync",added,action,{"id":[shift,seq],"time":shift},…]` for `actions` (JSON texts) with
    /// sequence numbers from `firstSequence` on; `added` is the last one's sequence number.
    static func sync(_ actions: [String], firstSequence: Int, shift: Int) -> String {
        var text = #"["sync","# + String(firstSequence + actions.count - 1)
        for (offset, action) in actions.enumerated() {
            text += "," + action + #",{"id":[\#(shift),\#(firstSequence + offset)],"time":\#(shift)}"#
        }
        return text + "]"
    }

    /// `["sync",seq,{"type":"counter/increment"},{"id":[shift,seq],"time":shift}]`, written into
    /// `out`, which must be `incrementLength(...)` bytes long.
    static func writeIncrement(sequence: Int, shift: Int, into out: UnsafeMutableRawBufferPointer) {
        var offset = 0
        /// Copies `text` at `offset` and moves past it.
        func put(_ text: StaticString) {
            text.withUTF8Buffer { bytes in
                UnsafeMutableRawBufferPointer(rebasing: out[offset..<(offset + bytes.count)]).copyMemory(from: UnsafeRawBufferPointer(bytes))
                offset += bytes.count
            }
        }
        put(#"["sync","#)
        offset += writeDigits(sequence, into: out, at: offset)
        put(#",{"type":"counter/increment"},{"id":["#)
        offset += writeDigits(shift, into: out, at: offset)
        put(",")
        offset += writeDigits(sequence, into: out, at: offset)
        put(#"],"time":"#)
        offset += writeDigits(shift, into: out, at: offset)
        put("}]")
    }

    /// The length of `writeIncrement(sequence:shift:into:)`'s frame.
    static func incrementLength(sequence: Int, shift: Int) -> Int {
        #"["sync",,{"type":"counter/increment"},{"id":[,],"time":}]"#.utf8.count + 2 * digitCount(sequence) + 2 * digitCount(shift)
    }

    /// `["synced",added]`, written into `out`, which must be `syncedLength(added)` bytes long.
    static func writeSynced(_ added: Int, into out: UnsafeMutableRawBufferPointer) {
        let prefix = #"["synced","#
        var offset = 0
        for byte in prefix.utf8 {
            out[offset] = byte
            offset += 1
        }
        offset += writeDigits(added, into: out, at: offset)
        out[offset] = UInt8(ascii: "]")
    }

    /// The length of `writeSynced`'s frame.
    static func syncedLength(_ added: Int) -> Int { #"["synced",]"#.utf8.count + digitCount(added) }

    // MARK: Bytes

    /// The decimal digits of `value` (a minus sign first when negative).
    static func digitCount(_ value: Int) -> Int {
        var count = value < 0 ? 2 : 1
        var rest = value.magnitude / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        return count
    }

    /// Writes `value` in decimal at `offset`; returns the bytes written.
    @discardableResult
    static func writeDigits(_ value: Int, into out: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        let count = digitCount(value)
        var rest = value.magnitude
        var index = offset + count - 1
        repeat {
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
            index -= 1
        } while rest > 0
        if value < 0 { out[offset] = UInt8(ascii: "-") }
        return count
    }

    /// A non-negative decimal number that is all of `bytes`.
    static func digits(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard (48...57).contains(byte) else { return nil }
            value = value &* 10 &+ Int(byte &- 48)
        }
        return value
    }

    /// Whether `bytes` are exactly `text`'s UTF-8 bytes.
    static func equal(_ bytes: UnsafeRawBufferPointer, _ text: String) -> Bool {
        bytes.count == text.utf8.count && bytes.elementsEqual(text.utf8)
    }

    /// Whether `bytes` start with `text`'s UTF-8 bytes.
    static func starts(_ bytes: UnsafeRawBufferPointer, _ text: String) -> Bool {
        bytes.count >= text.utf8.count && bytes.starts(with: text.utf8)
    }

    /// Whether `bytes` end with `text`'s UTF-8 bytes.
    static func ends(_ bytes: UnsafeRawBufferPointer, _ text: String) -> Bool {
        let count = text.utf8.count
        return bytes.count >= count && UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - count)...]).elementsEqual(text.utf8)
    }
}
