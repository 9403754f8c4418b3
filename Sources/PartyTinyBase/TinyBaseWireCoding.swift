/// Conversions between TinyBase's JSON shapes and the typed stamps and hash trees, with the
/// checks of TinyBase's `isProtocolMessageValid` (src/synchronizers/common.ts): a stamp is an
/// array of one element, or of two whose second is a valid HLC; a hash is an integer from 0 to
/// 2^32 - 1; a hash tree is an object of hashes (or of hash trees).
public enum TinyBaseWireCoding {
    // MARK: Reading

    /// A hash: a JSON integer from 0 to 4294967295.
    public static func hash(_ json: TinyBaseJSON) -> UInt32? {
        guard case .number(let value) = json, value >= 0, value <= 4_294_967_295, value.rounded(.towardZero) == value
        else { return nil }
        return UInt32(value)
    }

    /// `[tablesHash, valuesHash]`.
    public static func contentHashes(_ json: TinyBaseJSON) -> TinyBaseContentHashes? {
        guard let elements = json.arrayValue, elements.count == 2,
              let tables = hash(elements[0]), let values = hash(elements[1])
        else { return nil }
        return TinyBaseContentHashes(tables: tables, values: values)
    }

    /// `{id: hash}`.
    public static func hashes(_ json: TinyBaseJSON) -> TinyBaseHashes? {
        guard let members = json.objectValue else { return nil }
        var result = TinyBaseHashes()
        for (key, value) in members {
            guard let value = hash(value) else { return nil }
            result[key] = value
        }
        return result
    }

    /// `{tableId: {rowId: hash}}`.
    public static func rowHashes(_ json: TinyBaseJSON) -> TinyBaseRowHashes? {
        guard let members = json.objectValue else { return nil }
        var result = TinyBaseRowHashes()
        for (key, value) in members {
            guard let value = hashes(value) else { return nil }
            result[key] = value
        }
        return result
    }

    /// `{tableId: {rowId: {cellId: hash}}}`.
    public static func cellHashes(_ json: TinyBaseJSON) -> TinyBaseCellHashes? {
        guard let members = json.objectValue else { return nil }
        var result = TinyBaseCellHashes()
        for (key, value) in members {
            guard let value = rowHashes(value) else { return nil }
            result[key] = value
        }
        return result
    }

    /// A stamp's parts: `[thing]` or `[thing, hlc]` with a valid HLC.
    static func stampParts(_ json: TinyBaseJSON) -> (thing: TinyBaseJSON, hlc: String)? {
        guard let elements = json.arrayValue else { return nil }
        if elements.count == 1 { return (elements[0], "") }
        guard elements.count == 2, let hlc = elements[1].stringValue, TinyBaseHLC.isValid(hlc) else { return nil }
        return (elements[0], hlc)
    }

    /// A stamped object whose children are read by `child`.
    static func stampedObject<Child>(
        _ json: TinyBaseJSON, _ child: (TinyBaseJSON) -> Child?
    ) -> TinyBaseStamp<TinyBaseOrderedDictionary<Child>>? {
        guard let (thing, hlc) = stampParts(json), let members = thing.objectValue else { return nil }
        var children = TinyBaseOrderedDictionary<Child>()
        for (key, value) in members {
            guard let value = child(value) else { return nil }
            children[key] = value
        }
        return TinyBaseStamp(children, hlc: hlc)
    }

    /// A stamped cell or value.
    public static func valueStamp(_ json: TinyBaseJSON) -> TinyBaseStamp<TinyBaseValue>? {
        guard let (thing, hlc) = stampParts(json), let value = try? TinyBaseValue(json: thing) else { return nil }
        return TinyBaseStamp(value, hlc: hlc)
    }

    /// A `TablesStamp`: stamped tables of stamped rows of stamped cells.
    public static func tablesStamp(_ json: TinyBaseJSON) -> TinyBaseTablesStamp? {
        stampedObject(json) { table in
            stampedObject(table) { row in stampedObject(row, valueStamp) }
        }
    }

    /// A `ValuesStamp`: stamped values.
    public static func valuesStamp(_ json: TinyBaseJSON) -> TinyBaseValuesStamp? {
        stampedObject(json, valueStamp)
    }

    // MARK: Writing

    /// `[thing]` or `[thing, hlc]`.
    static func stampJSON(_ thing: TinyBaseJSON, hlc: String) -> TinyBaseJSON {
        hlc.isEmpty ? .array([thing]) : .array([thing, .string(hlc)])
    }

    /// The JSON of a stamped object whose children are written by `child`.
    static func stampedObjectJSON<Child>(
        _ stamp: TinyBaseStamp<TinyBaseOrderedDictionary<Child>>, _ child: (Child) -> TinyBaseJSON
    ) -> TinyBaseJSON {
        stampJSON(.object(stamp.thing.mapValues(child)), hlc: stamp.hlc)
    }

    /// The JSON of a stamped cell or value.
    public static func json(_ stamp: TinyBaseStamp<TinyBaseValue>) -> TinyBaseJSON {
        stampJSON(stamp.thing.json, hlc: stamp.hlc)
    }

    /// The JSON of a `TablesStamp`.
    public static func json(_ stamp: TinyBaseTablesStamp) -> TinyBaseJSON {
        stampedObjectJSON(stamp) { table in
            stampedObjectJSON(table) { row in stampedObjectJSON(row) { json($0) } }
        }
    }

    /// The JSON of a `ValuesStamp`.
    public static func json(_ stamp: TinyBaseValuesStamp) -> TinyBaseJSON {
        stampedObjectJSON(stamp) { json($0) }
    }

    /// The JSON of hashes.
    public static func json(_ hashes: TinyBaseHashes) -> TinyBaseJSON {
        .object(hashes.mapValues { .number(Double($0)) })
    }

    /// The JSON of row hashes.
    public static func json(_ hashes: TinyBaseRowHashes) -> TinyBaseJSON {
        .object(hashes.mapValues { json($0) })
    }

    /// The JSON of cell hashes.
    public static func json(_ hashes: TinyBaseCellHashes) -> TinyBaseJSON {
        .object(hashes.mapValues { json($0) })
    }

    /// The JSON of content hashes: `[tables, values]`.
    public static func json(_ hashes: TinyBaseContentHashes) -> TinyBaseJSON {
        .array([.number(Double(hashes.tables)), .number(Double(hashes.values))])
    }

    /// The JSON of changes: `[tables, values, 1]`.
    public static func json(_ changes: TinyBaseChanges) -> TinyBaseJSON {
        .array([json(changes.tables), json(changes.values), .number(1)])
    }
}
