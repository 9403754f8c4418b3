import Histogram
import NIOCore
import Synchronization

/// Everything the connections of a counter run share across event loops.
final class CounterRun: Sendable {
    /// All connections, index = room * clients + slot; every client of a room on the room's loop.
    let clients: [CounterClient]
    /// Counts down as each connection receives its initial count.
    let ready: CountdownSignal
    let warmupDone: CountdownSignal
    let measureDone: CountdownSignal
    /// Set when the run winds down: closes after this are expected.
    let finishing = Atomic<Bool>(false)
    /// The first reason the run was aborted.
    let failure = Mutex<String?>(nil)

    /// Per room, the count each increment is expected to produce.
    let ledgers: [CounterLedger]
    /// The loops' accounting.
    let states: [CounterLoopState]

    /// Builds `rooms` x `clientsPerRoom` clients that each send `incsPerClient` increments in
    /// all; room r runs on loop r % loops.
    init(rooms: Int, clients clientsPerRoom: Int, incsPerClient: Int, states: [CounterLoopState]) {
        var ledgers: [CounterLedger] = []
        var clients: [CounterClient] = []
        clients.reserveCapacity(rooms * clientsPerRoom)
        for room in 0..<rooms {
            let ledger = CounterLedger(total: clientsPerRoom * incsPerClient)
            ledgers.append(ledger)
            let state = states[room % states.count]
            for slot in 0..<clientsPerRoom {
                let client = CounterClient(index: room * clientsPerRoom + slot, room: room, ledger: ledger, state: state)
                clients.append(client)
                state.clients.append(client)
            }
        }
        self.clients = clients
        self.ledgers = ledgers
        self.states = states
        let loop = states[0].loop
        ready = CountdownSignal(count: clients.count, on: loop)
        warmupDone = CountdownSignal(count: clients.count, on: loop)
        measureDone = CountdownSignal(count: clients.count, on: loop)
        for client in clients { client.run = self }
    }

    var isFinishing: Bool { finishing.load(ordering: .sequentiallyConsistent) }

    /// Ends every wait at once.
    func abort(_ reason: String) {
        let first = failure.withLock { current -> Bool in
            guard current == nil else { return false }
            current = reason
            return true
        }
        guard first else { return }
        for signal in [ready, warmupDone, measureDone] { signal.fail(RunFailure.aborted(reason)) }
    }

    /// Counts not yet received, summed over clients: each should receive every count of its room.
    func missingBroadcasts() async -> Int {
        var missing = 0
        for state in states {
            missing += (try? await state.loop.submit { state.clients.reduce(0) { $0 + $1.missing } }.get()) ?? 1
        }
        return missing
    }

    /// Each room's expected final count (nil where the initial count never arrived), read on the loops.
    func finalCounts() async -> [Int?] {
        var finals = [Int?](repeating: nil, count: ledgers.count)
        for (index, ledger) in ledgers.enumerated() {
            finals[index] = try? await states[index % states.count].loop.submit { ledger.final }.get()
        }
        return finals
    }
}

/// The counter run's totals, merged from every loop.
struct CounterTotals: Sendable {
    var histogram = makeLatencyHistogram()
    var acked = 0
    var warmupAcked = 0
    var firstSend: UInt64 = .max
    var lastAck: UInt64 = 0
    var duplicated = 0
    var outOfOrder = 0
    var unexpected = 0

    /// No counts yet.
    init() {}

    /// One loop's counts (call on its loop).
    init(_ state: CounterLoopState) {
        histogram = state.histogram
        acked = state.acked
        warmupAcked = state.warmupAcked
        firstSend = state.firstSend
        lastAck = state.lastAck
        duplicated = state.duplicated
        outOfOrder = state.outOfOrder
        unexpected = state.unexpected
    }

    /// Adds another loop's counts.
    mutating func add(_ other: CounterTotals) {
        histogram.add(other.histogram)
        acked += other.acked
        warmupAcked += other.warmupAcked
        firstSend = min(firstSend, other.firstSend)
        lastAck = max(lastAck, other.lastAck)
        duplicated += other.duplicated
        outOfOrder += other.outOfOrder
        unexpected += other.unexpected
    }
}
