import Foundation

/// The keys a `list` call selects, as a range of key bytes that the primary key index serves.
package struct StorageKeyRange: Sendable {
    /// Smallest selected key, or `nil` for no lower bound.
    package private(set) var lower: Data?
    /// Whether `lower` itself is selected.
    package private(set) var lowerIsInclusive = true
    /// First key past the range (exclusive), or `nil` for no upper bound.
    package private(set) var upper: Data?

    /// The range of keys that start with `prefix`, are at least `start`, greater than
    /// `startAfter` and less than `end`; every bound is optional.
    init(prefix: String?, start: String?, startAfter: String?, end: String?) {
        if let prefix, !prefix.isEmpty {
            let bytes = Data(prefix.utf8)
            raiseLower(to: bytes, inclusive: true)
            if let successor = Self.successor(of: bytes) { lowerUpper(to: successor) }
        }
        if let start { raiseLower(to: Data(start.utf8), inclusive: true) }
        if let startAfter { raiseLower(to: Data(startAfter.utf8), inclusive: false) }
        if let end { lowerUpper(to: Data(end.utf8)) }
    }

    /// Whether no key can be in the range.
    package var isEmpty: Bool {
        guard let lower, let upper else { return false }
        return !lower.lexicographicallyPrecedes(upper)
    }

    /// Whether `key` (stored bytes) is in the range.
    func contains(_ key: Data) -> Bool {
        if let lower {
            if lowerIsInclusive {
                if key.lexicographicallyPrecedes(lower) { return false }
            } else if !lower.lexicographicallyPrecedes(key) {
                return false
            }
        }
        if let upper, !key.lexicographicallyPrecedes(upper) { return false }
        return true
    }

    /// SQL conditions on `key` to append after a `WHERE`, and their arguments in order.
    var sql: (conditions: String, arguments: [Data]) {
        var conditions = ""
        var arguments: [Data] = []
        if let lower {
            conditions += lowerIsInclusive ? " AND key >= ?" : " AND key > ?"
            arguments.append(lower)
        }
        if let upper {
            conditions += " AND key < ?"
            arguments.append(upper)
        }
        return (conditions, arguments)
    }

    private mutating func raiseLower(to bound: Data, inclusive: Bool) {
        guard let lower else {
            (self.lower, lowerIsInclusive) = (bound, inclusive)
            return
        }
        if lower.lexicographicallyPrecedes(bound) {
            (self.lower, lowerIsInclusive) = (bound, inclusive)
        } else if lower == bound {
            lowerIsInclusive = lowerIsInclusive && inclusive
        }
    }

    private mutating func lowerUpper(to bound: Data) {
        if let upper, !bound.lexicographicallyPrecedes(upper) { return }
        upper = bound
    }

    /// The smallest byte string greater than every string that starts with `prefix`, or `nil`
    /// when there is none (all bytes 0xFF; never the case for UTF-8).
    static func successor(of prefix: Data) -> Data? {
        var bytes = prefix
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.index(before: bytes.endIndex)] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return nil
    }
}
