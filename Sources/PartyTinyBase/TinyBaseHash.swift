/// TinyBase's hashes (src/common/hash.ts, src/common/stamps.ts).
///
/// - A string's hash is 32-bit FNV-1a over its UTF-8 bytes (`TextEncoder`): start at
///   0x811C9DC5, for each byte XOR it in and multiply by 16777619, modulo 2^32.
/// - A cell's or value's hash is the hash of `JSON.stringify(value ?? null) + ":" + hlc`
///   (a deleted cell hashes as `null`).
/// - A child inside its parent counts as the hash of `id + ":" + childHash` (decimal).
/// - A parent's hash is the XOR of what its children count as, kept up to date by XOR-ing out
///   the old and in the new; a cell or value that did not exist before also XORs in
///   `hash(id + ":0")` (TinyBase's "legacy v5" term), rows and tables do not.
/// - When a level's own HLC grows, the hash of the old HLC (if any) and of the new one are
///   XOR-ed in too.
public enum TinyBaseHash {
    /// The hash of `string`: FNV-1a, 32 bits, over its UTF-8 bytes.
    public static func hash(_ string: String) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in string.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }

    /// The hash of a cell or value with its HLC (`getCellHash` / `getValueHash`).
    public static func valueHash(_ value: TinyBaseValue, hlc: String) -> UInt32 {
        var text = ""
        value.javaScriptJSON(undefinedAsNull: true).write(to: &text)
        text += ":"
        text += hlc
        return hash(text)
    }

    /// What a child (cell, row, table or value) counts as in its parent's hash
    /// (`getCellInRowHash`, `getRowInTableHash`, `getTableInTablesHash`, `getValueInValuesHash`).
    public static func childHash(id: String, hash childHash: UInt32) -> UInt32 {
        hash(id + ":" + String(childHash))
    }

    /// The hash of a row or of the values from their children's hashes, as TinyBase's
    /// `getRowHash` / `getValuesHash` (including the `id:0` term of each child).
    public static func cellsHash(_ childHashes: [(id: String, hash: UInt32)]) -> UInt32 {
        childHashes.reduce(0) { $0 ^ childHash(id: $1.id, hash: $1.hash) ^ childHash(id: $1.id, hash: 0) }
    }

    /// The hash of a table or of the tables from their children's hashes, as TinyBase's
    /// `getTableHash` / `getTablesHash`.
    public static func rowsHash(_ childHashes: [(id: String, hash: UInt32)]) -> UInt32 {
        childHashes.reduce(0) { $0 ^ childHash(id: $1.id, hash: $1.hash) }
    }

    /// The change to a level's hash when its HLC goes from `old` to `new` (`replaceHlcHash`):
    /// nothing unless `new` sorts after `old`.
    public static func replaceHLCHash(old: String, new: String) -> UInt32 {
        guard TinyBaseHLC.sortsAfter(new, old) else { return 0 }
        return (old.isEmpty ? 0 : hash(old)) ^ hash(new)
    }
}
