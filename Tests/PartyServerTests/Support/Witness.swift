import PartyServerTesting
import Synchronization
import Testing

/// A well-behaved pair of clients in a room of their own: the sender broadcasts numbered
/// messages one after another, and the receiver must get each of them, in order, while a test
/// throws bad input at the same server.
final class Witness: Sendable {
    /// The witnesses' room (a `Probe`).
    let room: String
    private let sender: TestWebSocket
    private let receiver: TestWebSocket
    private let state = Mutex<State>(State())
    private let task = Mutex<Task<Void, Never>?>(nil)

    private struct State {
        var delivered = 0
        var problem: String?
        var stopped = false
    }

    /// Most messages one witness sends; the stream also stops after `maximumDuration`.
    static let maximumMessages = 1_000_000
    static let maximumDuration = Duration.seconds(600)

    private init(room: String, sender: TestWebSocket, receiver: TestWebSocket) {
        self.room = room
        self.sender = sender
        self.receiver = receiver
    }

    /// Connects the pair to a fresh room on `server` and starts the stream.
    static func start(on server: PartyTestServer) async throws -> Witness {
        let room = uniqueRoom("witness")
        let sender = try await server.webSocket("/parties/probe/\(room)?_pk=witness-sender")
        #expect(try await sender.nextText() == "welcome:witness-sender")
        let receiver = try await server.webSocket("/parties/probe/\(room)?_pk=witness-receiver")
        #expect(try await receiver.nextText() == "welcome:witness-receiver")
        let witness = Witness(room: room, sender: sender, receiver: receiver)
        witness.task.withLock { $0 = Task { await witness.stream() } }
        try await witness.progressed(by: 1)
        return witness
    }

    /// Messages delivered so far.
    var delivered: Int { state.withLock { $0.delivered } }

    private func stream() async {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: Self.maximumDuration)
        for index in 0..<Self.maximumMessages {
            guard !state.withLock({ $0.stopped }), clock.now < end else { return }
            do {
                try await sender.send(text: "broadcast:\(index)")
                let text = try await receiver.nextText(timeout: .seconds(10))
                guard text == "\(index)" else {
                    state.withLock { $0.problem = "message \(index) arrived as \(text.prefix(40).debugDescription)" }
                    return
                }
                state.withLock { $0.delivered = index + 1 }
            } catch {
                state.withLock { $0.problem = "message \(index): \(error)" }
                return
            }
        }
    }

    /// Waits until `count` more messages were delivered (the stream kept flowing meanwhile).
    func progressed(by count: Int = 2) async throws {
        let target = delivered + count
        try await eventually("the witness received \(count) more messages", timeout: .seconds(30), interval: .milliseconds(2)) { () -> PollResult<Void> in
            let (delivered, problem) = state.withLock { ($0.delivered, $0.problem) }
            if let problem { throw AbortWaiting(reason: "the witness stream broke: \(problem)") }
            return delivered >= target ? .done(()) : .pending("\(delivered) of \(target) delivered")
        }
    }

    /// Stops the stream and checks that every message sent was delivered in order and that both
    /// witnesses are still connected; then closes them cleanly. Returns the number delivered.
    @discardableResult
    func finish() async throws -> Int {
        try await progressed(by: 1)
        state.withLock { $0.stopped = true }
        await task.withLock { $0 }?.value
        let (delivered, problem) = state.withLock { ($0.delivered, $0.problem) }
        #expect(problem == nil, "the witness stream broke: \(problem ?? "")")
        #expect(sender.isConnected, "the witness sender was disconnected")
        #expect(receiver.isConnected, "the witness receiver was disconnected")
        let leftovers = receiver.drainEvents() + sender.drainEvents()
        let unexpected = leftovers.filter { event in
            switch event {
            case .ping, .pong: false
            default: true
            }
        }
        #expect(unexpected.isEmpty, "unexpected events: \(unexpected)")
        try await sender.close()
        try await receiver.close()
        #expect(try await sender.waitForClose().code == 1000)
        #expect(try await receiver.waitForClose().code == 1000)
        return delivered
    }
}
