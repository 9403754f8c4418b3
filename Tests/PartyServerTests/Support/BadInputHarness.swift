import Logging
import PartyServer
import PartyServerTesting
import Synchronization
import Testing

/// A live server with a captured log and a ``Witness`` streaming messages in a room of its own,
/// for throwing bad input at the server and checking that it answers each one as defined, logs
/// one line for it, and keeps serving the witness.
final class BadInputHarness: Sendable {
    let server: PartyTestServer
    let log: LogCapture
    let witness: Witness
    private let expectations: Mutex<[LineExpectation]>

    /// A promise that exactly one line mentioning any of `markers` is logged, at `level`.
    private struct LineExpectation: Sendable {
        let markers: [String]
        let level: Logger.Level
        let sourceLocation: SourceLocation
    }

    private init(server: PartyTestServer, log: LogCapture, witness: Witness) {
        self.server = server
        self.log = log
        self.witness = witness
        self.expectations = Mutex([])
    }

    /// The server's port.
    var port: Int { server.port }

    /// The default configuration without a message rate limit.
    static var defaultConfiguration: PartyConfiguration {
        var configuration = PartyConfiguration()
        configuration.limits.messageRate = nil
        return configuration
    }

    /// Starts a server with `Probe` and `Bare` registered and a witness, runs `body`, then checks
    /// the witness got every message, that every promised log line was logged exactly once, and
    /// that nothing was logged at error level or above.
    ///
    /// The message rate limit is off unless `configuration` sets one: the witness sends as fast
    /// as its messages come back (over 1,000 a second on an idle machine), which the default rate
    /// would close with 1008; the rate limit has its own tests (`LimitTests`).
    static func run(
        configuration: PartyConfiguration = BadInputHarness.defaultConfiguration,
        _ body: (BadInputHarness) async throws -> Void
    ) async throws {
        let log = LogCapture()
        let server = try await PartyTestServer.start(configuration: configuration, logger: log.logger()) { app in
            try app.register(Probe.self)
            try app.register(Bare.self)
        }
        try await server.shuttingDown { server in
            let harness = BadInputHarness(server: server, log: log, witness: try await Witness.start(on: server))
            try await body(harness)
            #expect(try await harness.witness.finish() > 0)
            harness.checkLines()
        }
        let errors = log.lines(atLeast: .error)
        #expect(errors.isEmpty, "lines logged at error level: \(errors)")
    }

    /// Waits (bounded) until a line mentioning `marker` is logged at exactly `level`, and records
    /// that it must stay the only line at `.debug` or above mentioning `marker` (checked again at
    /// the end, to catch late duplicates). Also waits for the witness to make progress.
    func expectOneLine(mentioning marker: String, level: Logger.Level = .info, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await expectOneLine(mentioningAnyOf: [marker], level: level, sourceLocation: sourceLocation)
    }

    /// Like ``expectOneLine(mentioning:level:sourceLocation:)``, for a line that may mention any of `markers`.
    func expectOneLine(mentioningAnyOf markers: [String], level: Logger.Level = .info, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let expectation = LineExpectation(markers: markers, level: level, sourceLocation: sourceLocation)
        try await eventually("a line mentioning \(markers) was logged", timeout: .seconds(15), interval: .milliseconds(5)) { () -> PollResult<Void> in
            lines(for: expectation).isEmpty ? .pending("no line") : .done(())
        }
        expectations.withLock { $0.append(expectation) }
        check(expectation)
        try await witness.progressed()
    }

    private func lines(for expectation: LineExpectation) -> [LogCapture.Line] {
        log.lines(atLeast: .debug).filter { line in expectation.markers.contains { line.mentions($0) } }
    }

    /// The line logged for `marker` (the first), for reports.
    func line(mentioning marker: String) -> LogCapture.Line? {
        log.lines(mentioning: marker, atLeast: .debug).first
    }

    private func check(_ expectation: LineExpectation) {
        let lines = lines(for: expectation)
        #expect(lines.count == 1, "lines mentioning \(expectation.markers): \(lines)", sourceLocation: expectation.sourceLocation)
        #expect(lines.first?.level == expectation.level, "\(lines)", sourceLocation: expectation.sourceLocation)
    }

    private func checkLines() {
        for expectation in expectations.withLock({ $0 }) {
            check(expectation)
        }
    }
}
