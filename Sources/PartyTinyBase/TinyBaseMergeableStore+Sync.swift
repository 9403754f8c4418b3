/// The questions a synchronizer asks of a store and how TinyBase's `MergeableStore` answers
/// them (`getMergeable*Hashes` / `getMergeable*Diff`). Diffs carry stamps without hashes; an
/// empty HLC is left out of a stamp (`[thing]`). (TinyBase writes a cell diff's cells as
/// `[value, hlc]` even when the HLC is empty; both forms read the same.)
extension TinyBaseMergeableStore {
    /// Each table's hash (`getMergeableTableHashes`).
    public var tableHashes: TinyBaseHashes {
        tables.thing.mapValues(\.hash)
    }

    /// Each value's hash (`getMergeableValueHashes`).
    public var valueHashes: TinyBaseHashes {
        values.thing.mapValues(\.hash)
    }

    /// The answer to GetTableDiff (`getMergeableTableDiff`): the whole of every table the other
    /// store lacks, and this store's hash of every table both have but that differs.
    public func tableDiff(_ otherTableHashes: TinyBaseHashes) -> (newTables: TinyBaseTablesStamp, differentTableHashes: TinyBaseHashes) {
        var newTables = TinyBaseTablesStamp(.init(), hlc: tables.hlc)
        var different = TinyBaseHashes()
        for (tableId, table) in tables.thing {
            if let otherHash = otherTableHashes[tableId] {
                if table.hash != otherHash { different[tableId] = table.hash }
            } else {
                newTables.thing[tableId] = TinyBaseStamp(table.thing.mapValues(Self.unhashedRow), hlc: table.hlc)
            }
        }
        return (newTables, different)
    }

    /// The hashes of every row of each table whose hash differs from the other store's
    /// (`getMergeableRowHashes`).
    public func rowHashes(_ otherTableHashes: TinyBaseHashes) -> TinyBaseRowHashes {
        var result = TinyBaseRowHashes()
        for (tableId, otherHash) in otherTableHashes {
            guard let table = tables.thing[tableId], table.hash != otherHash else { continue }
            for (rowId, row) in table.thing {
                result.modify(tableId, default: { TinyBaseHashes() }) { $0[rowId] = row.hash }
            }
        }
        return result
    }

    /// The answer to GetRowDiff (`getMergeableRowDiff`): in the tables asked about, the whole of
    /// every row the other store lacks, and this store's hash of every row both have but that
    /// differs.
    public func rowDiff(_ otherRowHashes: TinyBaseRowHashes) -> (newRows: TinyBaseTablesStamp, differentRowHashes: TinyBaseRowHashes) {
        var newRows = TinyBaseTablesStamp(.init(), hlc: tables.hlc)
        var different = TinyBaseRowHashes()
        for (tableId, otherRows) in otherRowHashes {
            guard let table = tables.thing[tableId] else { continue }
            for (rowId, row) in table.thing {
                if let otherHash = otherRows[rowId] {
                    if row.hash != otherHash {
                        different.modify(tableId, default: { TinyBaseHashes() }) { $0[rowId] = row.hash }
                    }
                } else {
                    newRows.thing.modify(tableId, default: { TinyBaseStamp(.init()) }) {
                        $0.thing[rowId] = Self.unhashedRow(row)
                    }
                }
            }
        }
        return (newRows, different)
    }

    /// The hashes of every cell of each row whose hash differs from the other store's
    /// (`getMergeableCellHashes`).
    public func cellHashes(_ otherRowHashes: TinyBaseRowHashes) -> TinyBaseCellHashes {
        var result = TinyBaseCellHashes()
        for (tableId, otherRows) in otherRowHashes {
            guard let table = tables.thing[tableId] else { continue }
            for (rowId, otherHash) in otherRows {
                guard let row = table.thing[rowId], row.hash != otherHash else { continue }
                for (cellId, cell) in row.thing {
                    result.modify(tableId, default: { TinyBaseRowHashes() }) { rows in
                        rows.modify(rowId, default: { TinyBaseHashes() }) { $0[cellId] = cell.hash }
                    }
                }
            }
        }
        return result
    }

    /// The answer to GetCellDiff (`getMergeableCellDiff`): in the rows asked about, every cell
    /// whose hash differs from the other store's (or that it lacks), as `[value, hlc]`.
    public func cellDiff(_ otherCellHashes: TinyBaseCellHashes) -> TinyBaseTablesStamp {
        var result = TinyBaseTablesStamp(.init(), hlc: tables.hlc)
        for (tableId, otherRows) in otherCellHashes {
            for (rowId, otherCells) in otherRows {
                guard let table = tables.thing[tableId], let row = table.thing[rowId] else { continue }
                for (cellId, cell) in row.thing where cell.hash != otherCells[cellId] {
                    result.thing.modify(tableId, default: { TinyBaseStamp(.init(), hlc: table.hlc) }) { tableOut in
                        tableOut.thing.modify(rowId, default: { TinyBaseStamp(.init(), hlc: row.hlc) }) { rowOut in
                            rowOut.thing[cellId] = TinyBaseStamp(cell.thing, hlc: cell.hlc)
                        }
                    }
                }
            }
        }
        return result
    }

    /// The answer to GetValueDiff (`getMergeableValueDiff`): every value whose hash differs
    /// from the other store's (or that it lacks).
    public func valueDiff(_ otherValueHashes: TinyBaseHashes) -> TinyBaseValuesStamp {
        var result = TinyBaseValuesStamp(.init(), hlc: values.hlc)
        for (valueId, value) in values.thing where value.hash != otherValueHashes[valueId] {
            result.thing[valueId] = TinyBaseStamp(value.thing, hlc: value.hlc)
        }
        return result
    }

    /// A row without hashes.
    static func unhashedRow(_ row: TinyBaseHashedStamp<Cells>) -> TinyBaseStamp<TinyBaseCellStamps> {
        TinyBaseStamp(row.thing.mapValues { TinyBaseStamp($0.thing, hlc: $0.hlc) }, hlc: row.hlc)
    }
}
