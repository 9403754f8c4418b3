/// A thing with its HLC and hash, as a TinyBase store keeps each level of its content:
/// `[thing, hlc, hash]` (the stamp maps of src/mergeable-store/index.ts).
public struct TinyBaseHashedStamp<Thing: Sendable & Equatable>: Sendable, Equatable {
    /// The cell or value, or the children of a row, table, tables or values.
    public var thing: Thing
    /// The latest HLC, or "" for none.
    public var hlc: String
    /// The hash of this level.
    public var hash: UInt32

    /// A hashed stamp of `thing`.
    public init(_ thing: Thing, hlc: String = "", hash: UInt32 = 0) {
        self.thing = thing
        self.hlc = hlc
        self.hash = hash
    }
}

/// The content of a TinyBase `MergeableStore` and the merge rules it follows
/// (src/mergeable-store/index.ts): tables of rows of cells and keyed values, every level
/// stamped with an HLC and a hash, merged last-writer-wins by HLC. A deleted cell or value stays
/// as a tombstone (`TinyBaseValue.undefined`) with its HLC.
///
/// The synchronizer's questions (content hashes, table/row/cell/value diffs) are in
/// `TinyBaseMergeableStore+Sync.swift`; local changes and whole-content import/export in
/// `TinyBaseMergeableStore+Content.swift`.
public struct TinyBaseMergeableStore: Sendable, Equatable {
    /// Cells of a row: cell id → `[value, hlc, hash]`.
    public typealias Cells = TinyBaseOrderedDictionary<TinyBaseHashedStamp<TinyBaseValue>>
    /// Rows of a table: row id → `[cells, hlc, hash]`.
    public typealias Rows = TinyBaseOrderedDictionary<TinyBaseHashedStamp<Cells>>
    /// Tables: table id → `[rows, hlc, hash]`.
    public typealias Tables = TinyBaseOrderedDictionary<TinyBaseHashedStamp<Rows>>
    /// Values: value id → `[value, hlc, hash]`.
    public typealias Values = TinyBaseOrderedDictionary<TinyBaseHashedStamp<TinyBaseValue>>

    /// All the tables, with the tables' HLC and hash.
    public internal(set) var tables = TinyBaseHashedStamp(Tables())
    /// All the values, with the values' HLC and hash.
    public internal(set) var values = TinyBaseHashedStamp(Values())
    /// The clock that stamps this store's own changes.
    public internal(set) var clock: TinyBaseHLC.Clock

    /// An empty store whose HLCs end with the client part of `uniqueId`.
    public init(uniqueId: String) {
        clock = TinyBaseHLC.Clock(uniqueId: uniqueId)
    }

    /// The hashes of the tables and the values (`getMergeableContentHashes`).
    public var contentHashes: TinyBaseContentHashes {
        TinyBaseContentHashes(tables: tables.hash, values: values.hash)
    }

    /// Merges changes (`applyMergeableChanges`): each cell or value whose HLC sorts after the
    /// one held (or any, where none is held or the held HLC is empty) replaces it; hashes are
    /// updated up the tree and the clock sees the latest HLC merged. Returns whether anything
    /// was stored (a cell or value replaced, or a new empty row or table that changed a hash).
    @discardableResult
    public mutating func apply(_ changes: TinyBaseChanges, now: Int64) -> Bool {
        let hashesBefore = contentHashes
        var won = false
        let oldTablesHLC = tables.hlc
        var tablesHash = tables.hash
        var tablesHLC = changes.tables.hlc
        for (tableId, incomingTable) in changes.tables.thing {
            tables.thing.modify(tableId, default: { TinyBaseHashedStamp(Rows()) }) { table in
                let oldTableHLC = table.hlc
                let oldTableHash = table.hash
                var tableHash = oldTableHash
                var tableHLC = incomingTable.hlc
                for (rowId, incomingRow) in incomingTable.thing {
                    table.thing.modify(rowId, default: { TinyBaseHashedStamp(Cells()) }) { row in
                        let merged = Self.mergeThings(incomingRow, into: &row)
                        won = won || merged.won
                        tableHash ^= (merged.oldHash == 0 ? 0 : TinyBaseHash.childHash(id: rowId, hash: merged.oldHash))
                            ^ TinyBaseHash.childHash(id: rowId, hash: merged.newHash)
                        tableHLC = TinyBaseHLC.latest(tableHLC, merged.hlc)
                    }
                }
                tableHash ^= TinyBaseHash.replaceHLCHash(old: oldTableHLC, new: incomingTable.hlc)
                Self.update(&table, hlc: incomingTable.hlc, hash: tableHash)
                tablesHash ^= (oldTableHash == 0 ? 0 : TinyBaseHash.childHash(id: tableId, hash: oldTableHash))
                    ^ TinyBaseHash.childHash(id: tableId, hash: table.hash)
                tablesHLC = TinyBaseHLC.latest(tablesHLC, tableHLC)
            }
        }
        tablesHash ^= TinyBaseHash.replaceHLCHash(old: oldTablesHLC, new: changes.tables.hlc)
        Self.update(&tables, hlc: changes.tables.hlc, hash: tablesHash)
        let mergedValues = Self.mergeThings(changes.values, into: &values)
        won = won || mergedValues.won
        clock.seen(TinyBaseHLC.latest(tablesHLC, mergedValues.hlc), now: now)
        return won || contentHashes != hashesBefore
    }

    /// `stampUpdate`: the HLC moves only forward; the hash is replaced.
    static func update<Thing>(_ stamp: inout TinyBaseHashedStamp<Thing>, hlc: String, hash: UInt32) {
        if TinyBaseHLC.sortsAfter(hlc, stamp.hlc) { stamp.hlc = hlc }
        stamp.hash = hash
    }

    /// `mergeCellsOrValues`: merges stamped cells into a row (or values into the values).
    /// Returns the latest HLC merged, the old and new hash of the row, and whether any won.
    static func mergeThings(
        _ incoming: TinyBaseStamp<TinyBaseOrderedDictionary<TinyBaseStamp<TinyBaseValue>>>,
        into stampMap: inout TinyBaseHashedStamp<Cells>
    ) -> (hlc: String, oldHash: UInt32, newHash: UInt32, won: Bool) {
        let oldHLC = stampMap.hlc
        let oldHash = stampMap.hash
        var hlc = incoming.hlc
        var hash = oldHash
        var won = false
        for (thingId, thing) in incoming.thing {
            stampMap.thing.modify(thingId, default: { TinyBaseHashedStamp(.undefined) }) { stamp in
                let oldThingHLC = stamp.hlc
                let oldThingHash = stamp.hash
                guard oldThingHLC.isEmpty || TinyBaseHLC.sortsAfter(thing.hlc, oldThingHLC) else { return }
                update(&stamp, hlc: thing.hlc, hash: TinyBaseHash.valueHash(thing.thing, hlc: thing.hlc))
                stamp.thing = thing.thing
                won = true
                hash ^= TinyBaseHash.childHash(id: thingId, hash: oldThingHash)
                    ^ TinyBaseHash.childHash(id: thingId, hash: stamp.hash)
                hlc = TinyBaseHLC.latest(hlc, thing.hlc)
            }
        }
        hash ^= TinyBaseHash.replaceHLCHash(old: oldHLC, new: incoming.hlc)
        update(&stampMap, hlc: incoming.hlc, hash: hash)
        return (hlc, oldHash, stampMap.hash, won)
    }

    /// The tables and values without tombstones, empty rows or empty tables (TinyBase's
    /// `getContent`).
    public var content: (tables: [String: [String: [String: TinyBaseValue]]], values: [String: TinyBaseValue]) {
        var result: [String: [String: [String: TinyBaseValue]]] = [:]
        for (tableId, table) in tables.thing {
            var rows: [String: [String: TinyBaseValue]] = [:]
            for (rowId, row) in table.thing {
                var cells: [String: TinyBaseValue] = [:]
                for (cellId, cell) in row.thing where !cell.thing.isDeleted { cells[cellId] = cell.thing }
                if !cells.isEmpty { rows[rowId] = cells }
            }
            if !rows.isEmpty { result[tableId] = rows }
        }
        var keyed: [String: TinyBaseValue] = [:]
        for (valueId, value) in values.thing where !value.thing.isDeleted { keyed[valueId] = value.thing }
        return (result, keyed)
    }

    /// The value of a cell, or `nil` if it is absent or deleted.
    public func cell(_ tableId: String, _ rowId: String, _ cellId: String) -> TinyBaseValue? {
        guard let value = tables.thing[tableId]?.thing[rowId]?.thing[cellId]?.thing, !value.isDeleted else { return nil }
        return value
    }

    /// A keyed value, or `nil` if it is absent or deleted.
    public func value(_ valueId: String) -> TinyBaseValue? {
        guard let value = values.thing[valueId]?.thing, !value.isDeleted else { return nil }
        return value
    }
}
