/// The y-websocket messages of the `yjs` scenarios (binary frames, lib0 encoding): sync step 1
/// and step 2, sync updates in which one client appends ASCII text to the root text `text`, and
/// awareness entries used as readiness probes. Everything the scenarios read is checked.
enum YjsWire {
    /// Message types (the first varuint of a frame).
    static let messageSync: UInt8 = 0
    static let messageAwareness: UInt8 = 1
    /// Sync sub-types.
    static let syncStep1: UInt8 = 0
    static let syncStep2: UInt8 = 1
    static let syncUpdate: UInt8 = 2

    /// The first client id of the editors: real Yjs client ids are random 32-bit numbers, most of
    /// them five bytes as a varuint, as this one is.
    static let baseClientID: UInt64 = 3_000_000_000

    /// Sync step 1 with an empty state vector (a client that has nothing): `00 00 01 00`.
    static let emptyStep1: [UInt8] = [0, 0, 1, 0]

    // MARK: Encoding

    /// The bytes of `value` as a varuint.
    @inline(__always)
    static func varUIntCount(_ value: UInt64) -> Int {
        var count = 1
        var rest = value >> 7
        while rest > 0 {
            count += 1
            rest >>= 7
        }
        return count
    }

    /// Writes `value` as a varuint at `offset`; returns the offset after it.
    @inline(__always)
    static func writeVarUInt(_ value: UInt64, to base: UnsafeMutableRawPointer, at offset: Int) -> Int {
        var rest = value
        var offset = offset
        while rest >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: rest & 0x7F) | 0x80, toByteOffset: offset, as: UInt8.self)
            rest >>= 7
            offset += 1
        }
        base.storeBytes(of: UInt8(truncatingIfNeeded: rest), toByteOffset: offset, as: UInt8.self)
        return offset + 1
    }

    /// Appends `value` as a varuint.
    static func appendVarUInt(_ value: UInt64, to out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: rest & 0x7F) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: rest))
    }

    /// The length of the update in which `client` inserts `textBytes` ASCII bytes at `clock`.
    @inline(__always)
    static func insertUpdateLength(client: UInt64, clock: UInt64, textBytes: Int) -> Int {
        // numClients, numStructs, client, clock, info, (parent | origin), string, delete set.
        var count = 2 + varUIntCount(client) + varUIntCount(clock) + 1
        if clock == 0 {
            count += 1 + 1 + 4  // parent: a root type, varString "text"
        } else {
            count += varUIntCount(client) + varUIntCount(clock - 1)  // origin: the client's previous character
        }
        return count + varUIntCount(UInt64(textBytes)) + textBytes + 1
    }

    /// The length of the frame `[0, 2, varUint8Array(update)]` for that update.
    @inline(__always)
    static func insertFrameLength(client: UInt64, clock: UInt64, textBytes: Int) -> Int {
        let update = insertUpdateLength(client: client, clock: clock, textBytes: textBytes)
        return 2 + varUIntCount(UInt64(update)) + update
    }

    /// Writes the sync update frame in which `client` inserts `textBytes` bytes at `clock`: at the
    /// start of the root text `text` when `clock` is 0, else after its own previous character.
    /// `fillText` writes the text (ASCII) into the buffer it is given.
    @inline(__always)
    static func writeInsertFrame(
        client: UInt64, clock: UInt64, textBytes: Int, into out: UnsafeMutableRawBufferPointer,
        fillText: (UnsafeMutableRawBufferPointer) -> Void
    ) {
        guard let base = out.baseAddress else { return }
        let update = insertUpdateLength(client: client, clock: clock, textBytes: textBytes)
        base.storeBytes(of: messageSync, toByteOffset: 0, as: UInt8.self)
        base.storeBytes(of: syncUpdate, toByteOffset: 1, as: UInt8.self)
        var offset = writeVarUInt(UInt64(update), to: base, at: 2)
        base.storeBytes(of: UInt8(1), toByteOffset: offset, as: UInt8.self)  // one client
        base.storeBytes(of: UInt8(1), toByteOffset: offset + 1, as: UInt8.self)  // one struct
        offset = writeVarUInt(client, to: base, at: offset + 2)
        offset = writeVarUInt(clock, to: base, at: offset)
        if clock == 0 {
            let parent: [UInt8] = [0x04, 1, 4, 0x74, 0x65, 0x78, 0x74]  // info (string), root, "text"
            for byte in parent {
                base.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
                offset += 1
            }
        } else {
            base.storeBytes(of: UInt8(0x84), toByteOffset: offset, as: UInt8.self)  // info: origin + string
            offset = writeVarUInt(client, to: base, at: offset + 1)
            offset = writeVarUInt(clock - 1, to: base, at: offset)
        }
        offset = writeVarUInt(UInt64(textBytes), to: base, at: offset)
        fillText(UnsafeMutableRawBufferPointer(start: base + offset, count: textBytes))
        offset += textBytes
        base.storeBytes(of: UInt8(0), toByteOffset: offset, as: UInt8.self)  // empty delete set
    }

    /// An awareness message with one entry: `client` at `clock` with state `{"e":INDEX}`.
    static func awarenessProbe(client: UInt64, clock: UInt64, index: Int) -> [UInt8] {
        let state = Array(#"{"e":\#(index)}"#.utf8)
        var entry: [UInt8] = [1]
        appendVarUInt(client, to: &entry)
        appendVarUInt(clock, to: &entry)
        appendVarUInt(UInt64(state.count), to: &entry)
        entry += state
        var frame: [UInt8] = [messageAwareness]
        appendVarUInt(UInt64(entry.count), to: &frame)
        return frame + entry
    }

    // MARK: Decoding

    /// A cursor over a received frame; every read checks the bounds.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        init(_ bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        var isAtEnd: Bool { position == bytes.count }
        var remaining: Int { bytes.count - position }

        @inline(__always)
        mutating func byte() -> UInt8? {
            guard position < bytes.count else { return nil }
            defer { position += 1 }
            return bytes[position]
        }

        @inline(__always)
        mutating func varUInt() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.count, shift < 64 {
                let byte = bytes[position]
                position += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }

        /// A length-prefixed byte run's range.
        @inline(__always)
        mutating func lengthPrefixed() -> Range<Int>? {
            guard let length = varUInt(), UInt64(remaining) >= length else { return nil }
            let start = position
            position += Int(length)
            return start..<position
        }
    }

    /// What a received frame is.
    enum Frame {
        /// A sync update with one inserted text run (as the editors send them).
        case insert(client: UInt64, clock: UInt64, text: Range<Int>)
        /// Sync step 1 with its state vector's range.
        case step1(Range<Int>)
        /// Sync step 2 with its update's range.
        case step2(Range<Int>)
        /// An awareness message; its entries are at this range.
        case awareness(Range<Int>)
        /// A sync update of another shape.
        case otherUpdate
        /// Anything else (malformed included).
        case other
    }

    /// Classifies a binary frame; an `insert` has been checked to be exactly the editors' shape.
    @inline(__always)
    static func frame(_ payload: UnsafeRawBufferPointer) -> Frame {
        var reader = Reader(payload)
        guard let type = reader.byte() else { return .other }
        switch type {
        case messageSync:
            guard let sub = reader.byte(), let body = reader.lengthPrefixed(), reader.isAtEnd else { return .other }
            switch sub {
            case syncStep1: return .step1(body)
            case syncStep2: return .step2(body)
            case syncUpdate:
                return insert(in: payload, body) ?? .otherUpdate
            default: return .other
            }
        case messageAwareness:
            guard let body = reader.lengthPrefixed(), reader.isAtEnd else { return .other }
            return .awareness(body)
        default:
            return .other
        }
    }

    /// Reads an update holding one struct that inserts a string (`insertFrame`'s shape).
    @inline(__always)
    private static func insert(in payload: UnsafeRawBufferPointer, _ body: Range<Int>) -> Frame? {
        var reader = Reader(UnsafeRawBufferPointer(rebasing: payload[body]))
        guard reader.varUInt() == 1, reader.varUInt() == 1, let client = reader.varUInt(), let clock = reader.varUInt(),
            let info = reader.byte()
        else { return nil }
        if clock == 0 {
            guard info == 0x04, reader.varUInt() == 1, let name = reader.lengthPrefixed(), name.count == 4 else { return nil }
        } else {
            guard info == 0x84, reader.varUInt() == client, reader.varUInt() == clock - 1 else { return nil }
        }
        guard let text = reader.lengthPrefixed(), reader.byte() == 0, reader.isAtEnd else { return nil }
        return .insert(client: client, clock: clock, text: (text.lowerBound + body.lowerBound)..<(text.upperBound + body.lowerBound))
    }

    /// Decodes a state vector (count, then client and clock pairs); nil when malformed.
    static func stateVector(_ bytes: UnsafeRawBufferPointer) -> [UInt64: UInt64]? {
        var reader = Reader(bytes)
        guard let count = reader.varUInt(), count <= UInt64(bytes.count) else { return nil }
        var clocks: [UInt64: UInt64] = [:]
        for _ in 0..<count {
            guard let client = reader.varUInt(), let clock = reader.varUInt() else { return nil }
            clocks[client] = clock
        }
        return reader.isAtEnd ? clocks : nil
    }

    /// Calls `body` with the client id of every entry of an awareness update (count, then client,
    /// clock and JSON state per entry); returns false when it is malformed.
    static func forEachAwarenessClient(_ bytes: UnsafeRawBufferPointer, _ body: (UInt64) -> Void) -> Bool {
        var reader = Reader(bytes)
        guard let count = reader.varUInt(), count <= UInt64(bytes.count) else { return false }
        for _ in 0..<count {
            guard let client = reader.varUInt(), reader.varUInt() != nil, reader.lengthPrefixed() != nil else { return false }
            body(client)
        }
        return reader.isAtEnd
    }

    // MARK: Text of an insert

    /// Writes sequence number `sequence` as 8 lowercase hex digits, then `x` up to `out.count`
    /// (at least 8): the receivers check it against the clock.
    @inline(__always)
    static func writeSequenceText(_ sequence: Int, into out: UnsafeMutableRawBufferPointer) {
        guard let base = out.baseAddress else { return }
        var value = UInt64(sequence)
        var index = 7
        while index >= 0 {
            let nibble = UInt8(truncatingIfNeeded: value & 0xF)
            base.storeBytes(of: nibble < 10 ? 48 &+ nibble : 87 &+ nibble, toByteOffset: index, as: UInt8.self)
            value >>= 4
            index -= 1
        }
        if out.count > 8 {
            (base + 8).initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "x"), count: out.count - 8)
        }
    }

    /// Reads the sequence number `writeSequenceText` wrote; nil when the text is not one.
    @inline(__always)
    static func readSequenceText(_ payload: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard range.count >= 8 else { return nil }
        var value = 0
        for index in range.lowerBound..<(range.lowerBound + 8) {
            let byte = payload[index]
            switch byte {
            case 48...57: value = value << 4 | Int(byte &- 48)
            case 97...102: value = value << 4 | Int(byte &- 87)
            default: return nil
            }
        }
        return value
    }
}
