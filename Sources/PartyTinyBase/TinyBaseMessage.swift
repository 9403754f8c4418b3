/// One synchronizer message, JSON `[requestId | null, type, body]` (src/synchronizers/index.ts),
/// read with the checks of TinyBase's `isProtocolMessageValid` (src/synchronizers/common.ts).
///
/// Types: 0 Response (to the request with the same id), 1 GetContentHashes (body ""),
/// 2 ContentHashes `[tablesHash, valuesHash]`, 3 ContentDiff `[tablesStamp, valuesStamp, 1]`,
/// 4 GetTableDiff `{tableId: hash}`, 5 GetRowDiff `{tableId: {rowId: hash}}`,
/// 6 GetCellDiff `{tableId: {rowId: {cellId: hash}}}`, 7 GetValueDiff `{valueId: hash}`.
/// Type 8 (GetBucketDiff, TinyBase 10.1 and later, sent only to peers that mark their ids
/// with "~") is not part of the legacy protocol and is refused.
public struct TinyBaseMessage: Sendable, Equatable, CustomStringConvertible {
    /// What a message carries, by type.
    public enum Body: Sendable, Equatable {
        /// 0: an answer; its shape depends on the request, so it stays JSON (already checked to
        /// be one of the shapes TinyBase accepts for a response).
        case response(TinyBaseJSON)
        /// 1: asks for the store's content hashes.
        case getContentHashes
        /// 2: the sender's content hashes, inviting others to pull what differs.
        case contentHashes(TinyBaseContentHashes)
        /// 3: changes to merge. `isChanges` is the trailing `1`; TinyBase merges only a diff
        /// that has it (without it the body reads as whole content, which a diff never is).
        case contentDiff(TinyBaseChanges, isChanges: Bool)
        /// 4: the sender's table hashes; the answer is `[newTables, differentTableHashes]`.
        case getTableDiff(TinyBaseHashes)
        /// 5: the sender's row hashes; the answer is `[newRows, differentRowHashes]`.
        case getRowDiff(TinyBaseRowHashes)
        /// 6: the sender's cell hashes; the answer is a tables stamp of differing cells.
        case getCellDiff(TinyBaseCellHashes)
        /// 7: the sender's value hashes; the answer is a values stamp of differing values.
        case getValueDiff(TinyBaseHashes)
    }

    /// The request id (or, for ContentHashes and ContentDiff, a transaction id), or `nil`.
    public var requestId: String?
    /// The type and body.
    public var body: Body

    /// A message of `body` with `requestId`.
    public init(requestId: String?, body: Body) {
        self.requestId = requestId
        self.body = body
    }

    /// The message type number (0 ... 7).
    public var type: Int {
        switch body {
        case .response: 0
        case .getContentHashes: 1
        case .contentHashes: 2
        case .contentDiff: 3
        case .getTableDiff: 4
        case .getRowDiff: 5
        case .getCellDiff: 6
        case .getValueDiff: 7
        }
    }

    /// The body as JSON.
    public var bodyJSON: TinyBaseJSON {
        switch body {
        case .response(let json): json
        case .getContentHashes: .string("")
        case .contentHashes(let hashes): TinyBaseWireCoding.json(hashes)
        case .contentDiff(let changes, let isChanges):
            isChanges
                ? TinyBaseWireCoding.json(changes)
                : .array([TinyBaseWireCoding.json(changes.tables), TinyBaseWireCoding.json(changes.values)])
        case .getTableDiff(let hashes), .getValueDiff(let hashes): TinyBaseWireCoding.json(hashes)
        case .getRowDiff(let hashes): TinyBaseWireCoding.json(hashes)
        case .getCellDiff(let hashes): TinyBaseWireCoding.json(hashes)
        }
    }

    /// The message as JSON: `[requestId | null, type, body]`.
    public var json: TinyBaseJSON {
        .array([requestId.map(TinyBaseJSON.string) ?? .null, .number(Double(type)), bodyJSON])
    }

    /// The message as JSON text, as `jsonStringWithUndefined` writes it.
    public var text: String { json.text }

    /// The JSON text.
    public var description: String { text }

    /// Reads and checks a message from its JSON text.
    public static func parse(_ text: String) throws(TinyBaseProtocolError) -> TinyBaseMessage {
        try TinyBaseMessage(json: TinyBaseJSONParser.parse(text))
    }

    /// Reads and checks a message from JSON.
    public init(json: TinyBaseJSON) throws(TinyBaseProtocolError) {
        guard let parts = json.arrayValue, parts.count == 3 else {
            throw .invalidMessage("expected [requestId, type, body]")
        }
        switch parts[0] {
        case .null: requestId = nil
        case .string(let id): requestId = id
        default: throw .invalidMessage("the request id is neither null nor a string")
        }
        guard case .number(let typeNumber) = parts[1], typeNumber.isFinite, typeNumber.rounded(.towardZero) == typeNumber else {
            throw .invalidMessage("the message type is not an integer")
        }
        guard typeNumber >= 0, typeNumber <= 7 else { throw .unknownMessageType(typeNumber) }
        let type = Int(typeNumber)
        body = try Self.body(type: type, parts[2])
    }

    private static func body(type: Int, _ json: TinyBaseJSON) throws(TinyBaseProtocolError) -> Body {
        func invalid(_ reason: String) -> TinyBaseProtocolError { .invalidBody(type: type, reason: reason) }
        switch type {
        case 0:
            guard isResponse(json) else { throw invalid("not a shape any response has") }
            return .response(json)
        case 1:
            guard json == .string("") else { throw invalid("GetContentHashes has the body \"\"") }
            return .getContentHashes
        case 2:
            guard let hashes = TinyBaseWireCoding.contentHashes(json) else { throw invalid("expected [tablesHash, valuesHash]") }
            return .contentHashes(hashes)
        case 3:
            guard let parts = json.arrayValue, parts.count == 2 || (parts.count == 3 && parts[2] == .number(1)) else {
                throw invalid("expected [tablesStamp, valuesStamp, 1]")
            }
            guard let tables = TinyBaseWireCoding.tablesStamp(parts[0]) else { throw invalid("malformed tables stamp") }
            guard let values = TinyBaseWireCoding.valuesStamp(parts[1]) else { throw invalid("malformed values stamp") }
            return .contentDiff(TinyBaseChanges(tables: tables, values: values), isChanges: parts.count == 3)
        case 4, 7:
            guard let hashes = TinyBaseWireCoding.hashes(json) else { throw invalid("expected {id: hash}") }
            return type == 4 ? .getTableDiff(hashes) : .getValueDiff(hashes)
        case 5:
            guard let hashes = TinyBaseWireCoding.rowHashes(json) else { throw invalid("expected {tableId: {rowId: hash}}") }
            return .getRowDiff(hashes)
        default:
            guard let hashes = TinyBaseWireCoding.cellHashes(json) else {
                throw invalid("expected {tableId: {rowId: {cellId: hash}}}")
            }
            return .getCellDiff(hashes)
        }
    }

    /// TinyBase's `isResponse`: content hashes, row hashes, a tables or values stamp, or
    /// `[tablesStamp, tableHashes | rowHashes]`.
    static func isResponse(_ json: TinyBaseJSON) -> Bool {
        if TinyBaseWireCoding.contentHashes(json) != nil || TinyBaseWireCoding.rowHashes(json) != nil
            || TinyBaseWireCoding.tablesStamp(json) != nil || TinyBaseWireCoding.valuesStamp(json) != nil
        {
            return true
        }
        guard let parts = json.arrayValue, parts.count == 2, TinyBaseWireCoding.tablesStamp(parts[0]) != nil else { return false }
        return TinyBaseWireCoding.hashes(parts[1]) != nil || TinyBaseWireCoding.rowHashes(parts[1]) != nil
    }
}

extension TinyBaseMessage {
    /// A Response carrying `body` for the request `requestId`.
    public static func response(to requestId: String?, _ body: TinyBaseJSON) -> TinyBaseMessage {
        TinyBaseMessage(requestId: requestId, body: .response(body))
    }

    /// The table diff answer `[newTables, differentTableHashes]` as JSON.
    public static func tableDiffJSON(_ diff: (newTables: TinyBaseTablesStamp, differentTableHashes: TinyBaseHashes)) -> TinyBaseJSON {
        .array([TinyBaseWireCoding.json(diff.newTables), TinyBaseWireCoding.json(diff.differentTableHashes)])
    }

    /// The row diff answer `[newRows, differentRowHashes]` as JSON.
    public static func rowDiffJSON(_ diff: (newRows: TinyBaseTablesStamp, differentRowHashes: TinyBaseRowHashes)) -> TinyBaseJSON {
        .array([TinyBaseWireCoding.json(diff.newRows), TinyBaseWireCoding.json(diff.differentRowHashes)])
    }

    /// Reads a table diff answer.
    public static func tableDiff(_ json: TinyBaseJSON) -> (newTables: TinyBaseTablesStamp, differentTableHashes: TinyBaseHashes)? {
        guard let parts = json.arrayValue, parts.count == 2, let tables = TinyBaseWireCoding.tablesStamp(parts[0]),
              let hashes = TinyBaseWireCoding.hashes(parts[1])
        else { return nil }
        return (tables, hashes)
    }

    /// Reads a row diff answer.
    public static func rowDiff(_ json: TinyBaseJSON) -> (newRows: TinyBaseTablesStamp, differentRowHashes: TinyBaseRowHashes)? {
        guard let parts = json.arrayValue, parts.count == 2, let tables = TinyBaseWireCoding.tablesStamp(parts[0]),
              let hashes = TinyBaseWireCoding.rowHashes(parts[1])
        else { return nil }
        return (tables, hashes)
    }
}
