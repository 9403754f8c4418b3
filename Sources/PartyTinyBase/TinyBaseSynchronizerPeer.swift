/// A message the peer sends: to one client, or (`to == nil`) to every client on the path —
/// the "" recipient of TinyBase's frames.
public struct TinyBaseOutgoing: Sendable, Equatable {
    /// The recipient's client id, or `nil` for everyone.
    public var to: String?
    /// The message.
    public var message: TinyBaseMessage

    /// A message for `to`.
    public init(to: String?, _ message: TinyBaseMessage) {
        self.to = to
        self.message = message
    }
}

/// The server's own store taking part in TinyBase's synchronization as client "S", as a pure
/// state machine: the behaviour of `createCustomSynchronizer` (src/synchronizers/index.ts) for
/// a server-side store, without timers or sockets. Time comes in as `now` (milliseconds).
///
/// - It answers GetContentHashes, GetTableDiff, GetRowDiff, GetCellDiff and GetValueDiff
///   with a Response to the sender, carrying the request id.
/// - On ContentHashes from a client it pulls what differs from that client: GetTableDiff with
///   its own table hashes if the tables hash differs, then GetRowDiff for the tables that
///   differ, then GetCellDiff for the rows that differ, then GetValueDiff if the values hash
///   differs; it merges the answers once the pull is done. A pull of the same hashes from the
///   same client already under way is not started again. If the store's hashes then still
///   differ from the client's, it sends the client its own ContentHashes, so that the client
///   pulls what it lacks (changes it dropped while loading).
/// - On ContentDiff (with its trailing 1) it merges the changes.
/// - `start` sends GetContentHashes to everyone, to pull from whoever answers first, and its own
///   ContentHashes to everyone (a server does not wait for the pull before starting).
/// - Its own changes (`setCell`, `setValue`, ...) go to everyone as a ContentDiff.
/// - A request unanswered after `requestTimeout` fails its pull; if the pull began with a
///   client's ContentHashes, the peer starts over with GetContentHashes to everyone (TinyBase's
///   reload after a failed pull).
/// - At most `maxPendingRequests` requests wait for answers; a new one beyond that drops the
///   oldest, failing that pull quietly. (TinyBase instead refuses the new request.)
///
/// Merged changes are not sent on: clients broadcast their changes to each other themselves.
public struct TinyBaseSynchronizerPeer: Sendable {
    /// The most requests waiting for an answer at once.
    public static let maxPendingRequests = 100

    /// The store the peer synchronizes.
    public internal(set) var store: TinyBaseMergeableStore
    /// How long a request waits for its answer (TinyBase's default: 1 second).
    public var requestTimeout: Int64
    /// Messages sent and received so far (`getSynchronizerStats`).
    public internal(set) var sends = 0, receives = 0
    /// Counts changes to the store's content (merged or made here), for deciding when to save.
    public internal(set) var revision = 0
    /// Requests dropped to stay within `maxPendingRequests`.
    public internal(set) var droppedRequests = 0
    /// Whether `start` was called (before it, the peer answers diff requests only, as TinyBase's
    /// synchronizer does before `startSync`).
    public internal(set) var isStarted = false

    var pending: [String: PendingRequest] = [:]
    var pendingOrder: [String] = []
    var pulls: [Int: Pull] = [:]
    var pulling: [String: (hashes: TinyBaseContentHashes, pullId: Int)] = [:]
    var nextPullId = 0
    var random: TinyBaseRandom

    /// A peer for `store`; `seed` fixes the request ids it makes (random by default).
    public init(store: TinyBaseMergeableStore, requestTimeout: Int64 = 1000, seed: UInt64? = nil) {
        self.store = store
        self.requestTimeout = requestTimeout
        random = TinyBaseRandom(seed: seed ?? UInt64.random(in: .min ... .max))
    }

    /// The number of requests waiting for an answer.
    public var pendingRequestCount: Int { pending.count }

    /// The number of pulls under way.
    public var pullCount: Int { pulls.count }

    /// Starts synchronizing (`startSync` of a server-side synchronizer): asks everyone for
    /// their content hashes and announces its own.
    public mutating func start(now: Int64) -> [TinyBaseOutgoing] {
        isStarted = true
        var out = startPull(from: nil, hashes: nil, origin: .load, now: now)
        out.append(send(to: nil, TinyBaseMessage(requestId: nil, body: .contentHashes(store.contentHashes))))
        return out
    }

    /// Handles a message from `clientId` (already checked, addressed to "S" or to everyone) and
    /// returns what to send.
    public mutating func receive(_ message: TinyBaseMessage, from clientId: String, now: Int64) -> [TinyBaseOutgoing] {
        receives += 1
        var out = expire(now: now)
        switch message.body {
        case .response(let json):
            out += handleResponse(json, requestId: message.requestId, from: clientId, now: now)
        case .contentHashes(let hashes):
            if isStarted && pulling[clientId]?.hashes != hashes {
                out += startPull(from: clientId, hashes: hashes, origin: .contentHashes, now: now)
            }
        case .contentDiff(let changes, let isChanges):
            if isStarted && isChanges && !changes.isEmpty && store.apply(changes, now: now) { revision += 1 }
        case .getContentHashes:
            if isStarted { out.append(answer(message, to: clientId, TinyBaseWireCoding.json(store.contentHashes))) }
        case .getTableDiff(let hashes):
            out.append(answer(message, to: clientId, TinyBaseMessage.tableDiffJSON(store.tableDiff(hashes))))
        case .getRowDiff(let hashes):
            out.append(answer(message, to: clientId, TinyBaseMessage.rowDiffJSON(store.rowDiff(hashes))))
        case .getCellDiff(let hashes):
            out.append(answer(message, to: clientId, TinyBaseWireCoding.json(store.cellDiff(hashes))))
        case .getValueDiff(let hashes):
            out.append(answer(message, to: clientId, TinyBaseWireCoding.json(store.valueDiff(hashes))))
        }
        return out
    }

    /// Fails the requests that waited longer than `requestTimeout` and returns what that makes
    /// the peer send. Call it from a timer (every few hundred milliseconds) and before handling
    /// messages (`receive` does).
    public mutating func expire(now: Int64) -> [TinyBaseOutgoing] {
        var out: [TinyBaseOutgoing] = []
        for requestId in pendingOrder {
            guard let request = pending[requestId], now - request.sentAt >= requestTimeout else { continue }
            removePending(requestId)
            out += failPull(request.pullId, reason: .timeout, now: now)
        }
        return out
    }

    // MARK: The server's own changes

    /// Sets a cell as the server's change and returns the ContentDiff for everyone.
    public mutating func setCell(
        _ tableId: String, _ rowId: String, _ cellId: String, _ value: TinyBaseValue, now: Int64
    ) -> [TinyBaseOutgoing] {
        broadcast(store.setCell(tableId, rowId, cellId, value, now: now))
    }

    /// Deletes a cell as the server's change and returns the ContentDiff for everyone.
    public mutating func deleteCell(_ tableId: String, _ rowId: String, _ cellId: String, now: Int64) -> [TinyBaseOutgoing] {
        broadcast(store.deleteCell(tableId, rowId, cellId, now: now))
    }

    /// Sets a keyed value as the server's change and returns the ContentDiff for everyone.
    public mutating func setValue(_ valueId: String, _ value: TinyBaseValue, now: Int64) -> [TinyBaseOutgoing] {
        broadcast(store.setValue(valueId, value, now: now))
    }

    /// Deletes a keyed value as the server's change and returns the ContentDiff for everyone.
    public mutating func deleteValue(_ valueId: String, now: Int64) -> [TinyBaseOutgoing] {
        broadcast(store.deleteValue(valueId, now: now))
    }

    private mutating func broadcast(_ changes: TinyBaseChanges?) -> [TinyBaseOutgoing] {
        guard let changes else { return [] }
        revision += 1
        guard isStarted else { return [] }
        return [send(to: nil, TinyBaseMessage(requestId: nil, body: .contentDiff(changes, isChanges: true)))]
    }

    // MARK: Sending

    mutating func send(to clientId: String?, _ message: TinyBaseMessage) -> TinyBaseOutgoing {
        sends += 1
        return TinyBaseOutgoing(to: clientId, message)
    }

    private mutating func answer(_ request: TinyBaseMessage, to clientId: String, _ body: TinyBaseJSON) -> TinyBaseOutgoing {
        send(to: clientId, .response(to: request.requestId, body))
    }
}

/// A small deterministic generator (SplitMix64) for request ids.
struct TinyBaseRandom: Sendable, RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A random id of `length` characters of the HLC alphabet (TinyBase's `getUniqueId`).
    mutating func uniqueId(length: Int = 16) -> String {
        String(decoding: (0..<length).map { _ in TinyBaseHLC.encodeSix(Int64(next() & 63)) }, as: UTF8.self)
    }
}
