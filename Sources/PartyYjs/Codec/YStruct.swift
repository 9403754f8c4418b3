import Foundation

/// One encoded struct of an update (format v1): where its bytes are and what a slice of it needs.
struct YStruct {
    /// What the struct is.
    enum Kind: Equatable {
        /// Garbage-collected content: only its length is left.
        case gc
        /// A gap: structs the update does not carry.
        case skip
        /// An item with content.
        case item
    }

    /// The content kind numbers of format v1 (the low five bits of an item's info byte).
    enum Content {
        static let deleted: UInt8 = 1, json: UInt8 = 2, binary: UInt8 = 3, string: UInt8 = 4
        static let embed: UInt8 = 5, format: UInt8 = 6, type: UInt8 = 7, any: UInt8 = 8, doc: UInt8 = 9
    }

    /// The info byte's flags.
    enum Flag {
        static let origin: UInt8 = 0x80, rightOrigin: UInt8 = 0x40, parentSub: UInt8 = 0x20, content: UInt8 = 0x1F
    }

    /// The info byte that marks a GC struct.
    static let gcInfo: UInt8 = 0
    /// The info byte that marks a Skip struct.
    static let skipInfo: UInt8 = 10

    /// What the struct is.
    var kind: Kind
    /// The struct's first clock.
    var clock: UInt64 = 0
    /// How many clock ticks it spans (UTF-16 units for strings, values for arrays).
    var length: UInt64
    /// Its bytes in the input, info byte included.
    var range: Range<Int>
    /// The info byte.
    var info: UInt8
    /// The bytes of its right origin id, when it has one.
    var rightOrigin: Range<Int>?
    /// Where its content starts.
    var contentStart: Int
}

extension Lib0Reader {
    /// Reads one struct, checking its content; the caller sets its clock.
    mutating func readStruct() throws(YUpdateError) -> YStruct {
        let start = position
        let info = try readUInt8()
        let ref = info & YStruct.Flag.content
        switch ref {
        case 0, 10:
            let length = try readVarUInt()
            return YStruct(kind: ref == 0 ? .gc : .skip, length: length, range: start..<position, info: info, contentStart: position)
        default:
            let rightOrigin = try readItemHeader(info, checked: true)
            let contentStart = position
            let length = try readContent(ref, at: start)
            return YStruct(kind: .item, length: length, range: start..<position, info: info, rightOrigin: rightOrigin, contentStart: contentStart)
        }
    }

    /// Reads the header of a struct that was checked when it came in and is stored up to the
    /// reader's end, with `length` ticks: where its content starts and its right origin, without
    /// reading the content again.
    mutating func readStoredStruct(clock: UInt64, length: UInt64) throws(YUpdateError) -> YStruct {
        let start = position
        let info = try readUInt8()
        let ref = info & YStruct.Flag.content
        if ref == 0 || ref == 10 {
            return YStruct(kind: ref == 0 ? .gc : .skip, clock: clock, length: length, range: start..<end, info: info, contentStart: end)
        }
        let rightOrigin = try readItemHeader(info, checked: false)
        return YStruct(kind: .item, clock: clock, length: length, range: start..<end, info: info, rightOrigin: rightOrigin, contentStart: position)
    }

    /// Reads an item's origin, right origin and, when it has neither, its parent; returns where
    /// its right origin is. `checked`: strings are checked as UTF-8 (input from a peer), not
    /// only skipped (bytes stored after such a check).
    private mutating func readItemHeader(_ info: UInt8, checked: Bool) throws(YUpdateError) -> Range<Int>? {
        if info & YStruct.Flag.origin != 0 {
            _ = try readVarUInt()
            _ = try readVarUInt()
        }
        var rightOrigin: Range<Int>?
        if info & YStruct.Flag.rightOrigin != 0 {
            let from = position
            _ = try readVarUInt()
            _ = try readVarUInt()
            rightOrigin = from..<position
        }
        if info & (YStruct.Flag.origin | YStruct.Flag.rightOrigin) == 0 {
            // The parent: a root type's name, or the id of the item holding the type.
            if try readVarUInt() == 1 {
                _ = checked ? try readStringRange() : try readByteRange()
            } else {
                _ = try readVarUInt()
                _ = try readVarUInt()
            }
            if info & YStruct.Flag.parentSub != 0 { _ = checked ? try readStringRange() : try readByteRange() }
        }
        return rightOrigin
    }

    /// Reads an item's content of kind `ref`; returns its length in clock ticks.
    private mutating func readContent(_ ref: UInt8, at start: Int) throws(YUpdateError) -> UInt64 {
        switch ref {
        case YStruct.Content.deleted:
            return try readVarUInt()
        case YStruct.Content.json:
            let count = try readLength()
            for _ in 0..<count {
                let range = try readStringRange()
                if !bytes[range].elementsEqual("undefined".utf8) { try checkJSON(range) }
            }
            return UInt64(count)
        case YStruct.Content.binary:
            _ = try readByteRange()
        case YStruct.Content.string:
            let range = try readStringRange()
            return Self.utf16Count(bytes, range)
        case YStruct.Content.embed:
            try checkJSON(try readStringRange())
        case YStruct.Content.format:
            _ = try readStringRange()
            try checkJSON(try readStringRange())
        case YStruct.Content.type:
            let typeRef = try readVarUInt()
            guard typeRef <= 6 else { throw .unknownType(ref: typeRef, offset: start) }
            if typeRef == 3 || typeRef == 5 { _ = try readStringRange() }  // XML element or hook: its name
        case YStruct.Content.any:
            let count = try readLength()
            for _ in 0..<count { try skipAny() }
            return UInt64(count)
        case YStruct.Content.doc:
            _ = try readStringRange()
            try skipAny()
        default:
            throw .unknownContent(ref: Int(ref), offset: start)
        }
        return 1
    }

    /// Checks that `bytes[range]` is JSON text: clients parse embeds, formatting values and
    /// JSON content while they read an update, so one that is not would make the whole document
    /// unreadable for them.
    private func checkJSON(_ range: Range<Int>) throws(YUpdateError) {
        guard (try? JSONSerialization.jsonObject(with: Data(bytes[range]), options: .fragmentsAllowed)) != nil else {
            throw .invalidJSON(offset: range.lowerBound)
        }
    }

    /// The length of valid UTF-8 `bytes[range]` in UTF-16 code units, as JavaScript counts it.
    static func utf16Count(_ bytes: [UInt8], _ range: Range<Int>) -> UInt64 {
        var count: UInt64 = 0
        for index in range {
            let byte = bytes[index]
            if byte & 0xC0 != 0x80 { count += 1 }
            if byte >= 0xF0 { count += 1 }
        }
        return count
    }
}
