/// A dictionary that keeps its keys in the order they were first inserted, like a JavaScript
/// `Map` (TinyBase keeps its stamp maps in `Map`s). Entries are never removed: TinyBase keeps
/// deleted cells and values as tombstones.
public struct TinyBaseOrderedDictionary<Value>: Sequence {
    /// The keys, in insertion order.
    public private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]

    /// An empty dictionary.
    public init() {}

    /// A dictionary of `pairs`, in their order; a repeated key keeps its first place and takes
    /// the last value, as in JavaScript.
    public init(_ pairs: [(String, Value)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// The number of entries.
    public var count: Int { keys.count }

    /// Whether there are no entries.
    public var isEmpty: Bool { keys.isEmpty }

    /// The value for `key`; setting `nil` is not supported (entries stay once added).
    public subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            guard let newValue else {
                preconditionFailure("TinyBaseOrderedDictionary never removes an entry")
            }
            if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
        }
    }

    /// The value for `key`, inserting `makeDefault()` at the end first if there is none.
    public mutating func ensure(_ key: String, _ makeDefault: () -> Value) -> Value {
        if let value = storage[key] { return value }
        let value = makeDefault()
        self[key] = value
        return value
    }

    /// Changes the value for `key` in place, inserting `makeDefault()` first if there is none.
    public mutating func modify<Result>(
        _ key: String, default makeDefault: () -> Value, _ body: (inout Value) throws -> Result
    ) rethrows -> Result {
        if storage[key] == nil { self[key] = makeDefault() }
        return try body(&storage[key]!)
    }

    /// The entries in insertion order.
    public func makeIterator() -> AnyIterator<(key: String, value: Value)> {
        var index = 0
        let keys = keys
        let storage = storage
        return AnyIterator {
            guard index < keys.count else { return nil }
            defer { index += 1 }
            return (keys[index], storage[keys[index]]!)
        }
    }

    /// The values mapped by `transform`, keeping keys and order.
    public func mapValues<T>(_ transform: (Value) throws -> T) rethrows -> TinyBaseOrderedDictionary<T> {
        var result = TinyBaseOrderedDictionary<T>()
        for key in keys { result[key] = try transform(storage[key]!) }
        return result
    }

    /// The keys in the order JavaScript lists an object's own keys: integer-like keys
    /// ("0" ... "4294967294") ascending, then the others in insertion order.
    public var javaScriptKeyOrder: [String] {
        let indexes = keys.filter(Self.isArrayIndex)
        guard !indexes.isEmpty else { return keys }
        return indexes.sorted { UInt32($0)! < UInt32($1)! } + keys.filter { !Self.isArrayIndex($0) }
    }

    /// Whether JavaScript treats `key` as an array index (it orders those first in objects).
    public static func isArrayIndex(_ key: String) -> Bool {
        let utf8 = key.utf8
        guard let first = utf8.first, utf8.count <= 10 else { return false }
        if first == UInt8(ascii: "0") { return utf8.count == 1 }
        guard utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return false }
        guard let value = UInt64(key) else { return false }
        return value <= 4_294_967_294
    }
}

extension TinyBaseOrderedDictionary: Equatable where Value: Equatable {
    /// Equal when both hold the same keys in the same order with equal values.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.keys == rhs.keys && lhs.storage == rhs.storage
    }
}

extension TinyBaseOrderedDictionary: Sendable where Value: Sendable {}
