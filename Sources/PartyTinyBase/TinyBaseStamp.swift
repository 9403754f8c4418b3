/// A thing with the HLC it was last changed at, as it travels between synchronizers: `[thing]`
/// when the HLC is empty, `[thing, hlc]` otherwise (TinyBase's `stampNew`). Hashes never travel
/// inside stamps.
public struct TinyBaseStamp<Thing: Sendable & Equatable>: Sendable, Equatable {
    /// The cell or value, or the children of a row, table, tables or values.
    public var thing: Thing
    /// The HLC, or "" for none.
    public var hlc: String

    /// A stamp of `thing` at `hlc`.
    public init(_ thing: Thing, hlc: String = "") {
        self.thing = thing
        self.hlc = hlc
    }
}

/// The cells of a row: cell id → stamped value.
public typealias TinyBaseCellStamps = TinyBaseOrderedDictionary<TinyBaseStamp<TinyBaseValue>>
/// The rows of a table: row id → stamped cells.
public typealias TinyBaseRowStamps = TinyBaseOrderedDictionary<TinyBaseStamp<TinyBaseCellStamps>>
/// The tables: table id → stamped rows.
public typealias TinyBaseTableStamps = TinyBaseOrderedDictionary<TinyBaseStamp<TinyBaseRowStamps>>
/// The tabular part of changes or of a diff (TinyBase's `TablesStamp`).
public typealias TinyBaseTablesStamp = TinyBaseStamp<TinyBaseTableStamps>
/// The keyed values of changes or of a diff (TinyBase's `ValuesStamp`).
public typealias TinyBaseValuesStamp = TinyBaseStamp<TinyBaseOrderedDictionary<TinyBaseStamp<TinyBaseValue>>>

/// Hashes of tables (`TableHashes`) or of values (`ValueHashes`): id → hash.
public typealias TinyBaseHashes = TinyBaseOrderedDictionary<UInt32>
/// Hashes of rows in tables (`RowHashes`): table id → row id → hash.
public typealias TinyBaseRowHashes = TinyBaseOrderedDictionary<TinyBaseHashes>
/// Hashes of cells in rows in tables (`CellHashes`): table id → row id → cell id → hash.
public typealias TinyBaseCellHashes = TinyBaseOrderedDictionary<TinyBaseRowHashes>

/// The two hashes that summarize a store (`ContentHashes`): its tables and its values.
public struct TinyBaseContentHashes: Sendable, Equatable, CustomStringConvertible {
    /// The hash of all the tables.
    public var tables: UInt32
    /// The hash of all the values.
    public var values: UInt32

    /// Content hashes of `tables` and `values`.
    public init(tables: UInt32, values: UInt32) {
        self.tables = tables
        self.values = values
    }

    /// As on the wire: `[tables, values]`.
    public var description: String { "[\(tables),\(values)]" }
}

/// Mergeable changes as a ContentDiff carries them (`MergeableChanges<false>`):
/// `[tablesStamp, valuesStamp, 1]`.
public struct TinyBaseChanges: Sendable, Equatable {
    /// The changed cells, by table and row.
    public var tables: TinyBaseTablesStamp
    /// The changed values.
    public var values: TinyBaseValuesStamp

    /// Changes of `tables` and `values` (both empty by default).
    public init(tables: TinyBaseTablesStamp = .init(.init()), values: TinyBaseValuesStamp = .init(.init())) {
        self.tables = tables
        self.values = values
    }

    /// Whether neither tables nor values hold anything (TinyBase then applies nothing).
    public var isEmpty: Bool { tables.thing.isEmpty && values.thing.isEmpty }

    /// Folds `other`'s rows and cells into these tables as the synchronizer's
    /// `mergeTablesStamps` does: cells replaced, HLCs of tables and rows kept at the latest.
    public mutating func mergeTables(_ other: TinyBaseTablesStamp) {
        for (tableId, otherTable) in other.thing {
            tables.thing.modify(tableId, default: { TinyBaseStamp(.init()) }) { table in
                for (rowId, otherRow) in otherTable.thing {
                    table.thing.modify(rowId, default: { TinyBaseStamp(.init()) }) { row in
                        for (cellId, cell) in otherRow.thing { row.thing[cellId] = cell }
                        row.hlc = TinyBaseHLC.latest(row.hlc, otherRow.hlc)
                    }
                }
                table.hlc = TinyBaseHLC.latest(table.hlc, otherTable.hlc)
            }
        }
        tables.hlc = TinyBaseHLC.latest(tables.hlc, other.hlc)
    }
}
