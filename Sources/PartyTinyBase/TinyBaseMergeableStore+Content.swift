import Foundation

/// The store's own changes, and its whole content as JSON for persistence.
extension TinyBaseMergeableStore {
    // MARK: Local changes

    /// Sets a cell as the server's own change, as a TinyBase `Store.setCell` then the
    /// transaction's mergeable changes: the cell is stamped with the clock's next HLC and
    /// merged, and the changes to broadcast are returned (`nil` when the cell already has this
    /// value, or when deleting a cell that is absent). Setting `.undefined` deletes the cell.
    public mutating func setCell(
        _ tableId: String, _ rowId: String, _ cellId: String, _ value: TinyBaseValue, now: Int64
    ) -> TinyBaseChanges? {
        let current = tables.thing[tableId]?.thing[rowId]?.thing[cellId]?.thing
        guard Self.changes(from: current, to: value) else { return nil }
        var cells = TinyBaseCellStamps()
        cells[cellId] = TinyBaseStamp(value, hlc: clock.next(now: now))
        var rows = TinyBaseRowStamps()
        rows[rowId] = TinyBaseStamp(cells)
        var changed = TinyBaseTableStamps()
        changed[tableId] = TinyBaseStamp(rows)
        apply(TinyBaseChanges(tables: TinyBaseStamp(changed)), now: now)
        return transactionChanges(cells: [(tableId, rowId, cellId)], values: [])
    }

    /// Deletes a cell as the server's own change (see `setCell`).
    public mutating func deleteCell(_ tableId: String, _ rowId: String, _ cellId: String, now: Int64) -> TinyBaseChanges? {
        setCell(tableId, rowId, cellId, .undefined, now: now)
    }

    /// Sets a keyed value as the server's own change (see `setCell`); `.undefined` deletes it.
    public mutating func setValue(_ valueId: String, _ value: TinyBaseValue, now: Int64) -> TinyBaseChanges? {
        guard Self.changes(from: values.thing[valueId]?.thing, to: value) else { return nil }
        var changed = TinyBaseOrderedDictionary<TinyBaseStamp<TinyBaseValue>>()
        changed[valueId] = TinyBaseStamp(value, hlc: clock.next(now: now))
        apply(TinyBaseChanges(values: TinyBaseStamp(changed)), now: now)
        return transactionChanges(cells: [], values: [valueId])
    }

    /// Deletes a keyed value as the server's own change (see `setCell`).
    public mutating func deleteValue(_ valueId: String, now: Int64) -> TinyBaseChanges? {
        setValue(valueId, .undefined, now: now)
    }

    /// Whether a Store would record a change from `current` to `new` (TinyBase skips setting a
    /// cell to the value it has, and deleting what is not there).
    static func changes(from current: TinyBaseValue?, to new: TinyBaseValue) -> Bool {
        let present = current.flatMap { $0.isDeleted ? nil : $0 }
        guard let present else { return !new.isDeleted }
        return !present.isSameValue(as: new)
    }

    /// `getTransactionMergeableChanges(false)`: the touched cells and values as the store now
    /// holds them, with the HLCs of their rows, tables, tables and values.
    func transactionChanges(cells: [(String, String, String)], values valueIds: [String]) -> TinyBaseChanges {
        var result = TinyBaseChanges(
            tables: TinyBaseStamp(.init(), hlc: tables.hlc), values: TinyBaseStamp(.init(), hlc: values.hlc))
        for (tableId, rowId, cellId) in cells {
            guard let table = tables.thing[tableId], let row = table.thing[rowId], let cell = row.thing[cellId] else { continue }
            result.tables.thing.modify(tableId, default: { TinyBaseStamp(.init(), hlc: table.hlc) }) { tableOut in
                tableOut.thing.modify(rowId, default: { TinyBaseStamp(.init(), hlc: row.hlc) }) { rowOut in
                    rowOut.thing[cellId] = TinyBaseStamp(cell.thing, hlc: cell.hlc)
                }
            }
        }
        for valueId in valueIds {
            guard let value = values.thing[valueId] else { continue }
            result.values.thing[valueId] = TinyBaseStamp(value.thing, hlc: value.hlc)
        }
        return result
    }

    // MARK: Whole content

    /// The whole content as JSON (`getMergeableContent`, in the encoded form a TinyBase
    /// persister stores): `[[tables, hlc, hash], [values, hlc, hash]]`, each table
    /// `[rows, hlc, hash]`, each row `[cells, hlc, hash]`, each cell or value
    /// `[value, hlc, hash]` with deleted ones as "\u{FFFC}".
    public var mergeableContentJSON: TinyBaseJSON {
        func hashed(_ thing: TinyBaseJSON, _ hlc: String, _ hash: UInt32) -> TinyBaseJSON {
            .array([thing, .string(hlc), .number(Double(hash))])
        }
        func value(_ stamp: TinyBaseHashedStamp<TinyBaseValue>) -> TinyBaseJSON {
            hashed(stamp.thing.json, stamp.hlc, stamp.hash)
        }
        let tablesJSON = tables.thing.mapValues { table in
            hashed(.object(table.thing.mapValues { row in
                hashed(.object(row.thing.mapValues(value)), row.hlc, row.hash)
            }), table.hlc, table.hash)
        }
        return .array([
            hashed(.object(tablesJSON), tables.hlc, tables.hash),
            hashed(.object(values.thing.mapValues(value)), values.hlc, values.hash),
        ])
    }

    /// The whole content as UTF-8 JSON text, for persistence.
    public func encoded() -> Data {
        Data(mergeableContentJSON.text.utf8)
    }

    /// A store holding exactly the content of `data` (as `encoded()` writes it), hashes taken as
    /// stored (TinyBase's `setMergeableContent`); its clock is then brought up to the latest
    /// HLC in the content, ignoring any more than five minutes ahead of `now`.
    public init(decoding data: Data, uniqueId: String, now: Int64) throws(TinyBaseProtocolError) {
        guard let text = String(data: data, encoding: .utf8) else { throw .invalidContent("not UTF-8") }
        let json = try TinyBaseJSONParser.parse(text)
        self.init(uniqueId: uniqueId)
        guard let parts = json.arrayValue, parts.count == 2 else {
            throw .invalidContent("expected [tables, values]")
        }
        var latest = ""
        func hashed<Child: Sendable & Equatable>(
            _ json: TinyBaseJSON, _ what: String, _ child: (TinyBaseJSON, String) throws(TinyBaseProtocolError) -> Child
        ) throws(TinyBaseProtocolError) -> TinyBaseHashedStamp<Child> {
            guard let parts = json.arrayValue, parts.count == 3, let hlc = parts[1].stringValue,
                  TinyBaseHLC.isValid(hlc), let hash = TinyBaseWireCoding.hash(parts[2])
            else { throw .invalidContent("\(what) is not [thing, hlc, hash] with a valid HLC and hash") }
            latest = TinyBaseHLC.latest(latest, hlc)
            return TinyBaseHashedStamp(try child(parts[0], what), hlc: hlc, hash: hash)
        }
        func object<Child: Sendable & Equatable>(
            _ json: TinyBaseJSON, _ what: String, _ child: (TinyBaseJSON, String) throws(TinyBaseProtocolError) -> TinyBaseHashedStamp<Child>
        ) throws(TinyBaseProtocolError) -> TinyBaseOrderedDictionary<TinyBaseHashedStamp<Child>> {
            guard let members = json.objectValue else { throw .invalidContent("\(what) is not an object") }
            var result = TinyBaseOrderedDictionary<TinyBaseHashedStamp<Child>>()
            for (id, member) in members { result[id] = try child(member, "\(what)/\(id)") }
            return result
        }
        func cell(_ json: TinyBaseJSON, _ what: String) throws(TinyBaseProtocolError) -> TinyBaseHashedStamp<TinyBaseValue> {
            try hashed(json, what) { thing, what throws(TinyBaseProtocolError) in
                do { return try TinyBaseValue(json: thing) } catch { throw .invalidContent("\(what): \(error)") }
            }
        }
        tables = try hashed(parts[0], "tables") { thing, what throws(TinyBaseProtocolError) in
            try object(thing, what) { table, what throws(TinyBaseProtocolError) in
                try hashed(table, what) { rows, what throws(TinyBaseProtocolError) in
                    try object(rows, what) { row, what throws(TinyBaseProtocolError) in
                        try hashed(row, what) { cells, what throws(TinyBaseProtocolError) in try object(cells, what, cell) }
                    }
                }
            }
        }
        values = try hashed(parts[1], "values") { thing, what throws(TinyBaseProtocolError) in try object(thing, what, cell) }
        clock.seen(latest, now: now)
    }
}
