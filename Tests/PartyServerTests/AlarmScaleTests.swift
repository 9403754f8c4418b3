import Foundation
import Logging
import PartyServer
import PartyServerTesting
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Alarms at scale")
struct AlarmScaleTests {
    /// The process's resident set size in bytes (VmRSS).
    private static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int(line.split(separator: " ")[1]) ?? 0) * 1024
    }

    /// Set in the child process that measures memory alone (RSS is per process, and the other
    /// suites run in parallel in this one).
    static let measuring = ProcessInfo.processInfo.environment["PARTYSERVER_MEASURE_ALARMS"] == "1"

    @Test("100,000 alarms cost memory proportional to them, measured in a process of their own")
    func hundredThousandAlarmsMemory() async throws {
        let process = try ChildProcess.spawn(
            CommandLine.arguments[0],
            arguments: ["--testing-library", "swift-testing", "--filter", "hundredThousandAlarms\\("],
            environment: ["PARTYSERVER_MEASURE_ALARMS": "1"]
        )
        try await waitUntil(timeout: .seconds(120), "the measuring process finished") { process.hasFinished }
        #expect(process.reapExitCode() == 0, "\(process.outputTail())")
        let line = try #require(process.outputText.split(separator: "\n").first { $0.hasPrefix("alarm-bytes ") }, "\(process.outputTail())")
        let bytesPerAlarm = try #require(Int(line.dropFirst("alarm-bytes ".count)))
        #expect(bytesPerAlarm > 0)
        #expect(bytesPerAlarm < 1_024, "\(bytesPerAlarm) bytes per alarm")
    }

    @Test(
        "100,000 alarms are stored and scheduled, and the scheduler does not wake while none is due",
        .enabled(if: AlarmScaleTests.measuring)
    )
    func hundredThousandAlarms() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ManualClock()
        var logger = Logger(label: "alarm-scale")
        logger.logLevel = .error
        let engine = try StorageEngine(directory: directory, configuration: StorageConfiguration(durability: .normal), logger: logger)
        let book = AlarmBook(engine: engine, clock: clock, configuration: AlarmConfiguration(), logger: logger)
        let fired = ManagedCounter()
        let loop = Task { await book.scheduler.run { _ in fired.increment() } }
        defer {
            book.scheduler.stop()
            loop.cancel()
        }

        let count = 100_000
        let before = Self.residentBytes()
        let start = clock.now.addingTimeInterval(86_400)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in 0..<100 {
                group.addTask {
                    for index in (batch * 1_000)..<((batch + 1) * 1_000) {
                        try await book.set(RoomKey(server: "notebook", name: "room-\(index)"), at: start.addingTimeInterval(Double(index)))
                    }
                }
            }
            try await group.waitForAll()
        }
        let grown = Self.residentBytes() - before
        #expect(book.count == count)
        #expect(book.scheduler.count == count)
        print("alarm-bytes \(grown / count)")

        // Nothing is due for a day: advancing to just before the first deadline wakes nothing.
        let wakeups = book.scheduler.wakeups
        clock.advance(to: start.addingTimeInterval(-1))
        try await waitUntil("the scheduler is asleep") { clock.sleepers == 1 }
        #expect(book.scheduler.wakeups <= wakeups + 1)
        #expect(fired.value == 0)

        clock.advance(to: start.addingTimeInterval(99.5))
        try await waitUntil("the first 100 alarms fired") { fired.value == 100 }
        #expect(try await engine.loadAlarms().count == count)
        await engine.close()
    }
}

/// A thread-safe counter for callbacks.
final class ManagedCounter: Sendable {
    private let storage = Synchronization.Mutex(0)
    func increment() { storage.withLock { $0 += 1 } }
    var value: Int { storage.withLock { $0 } }
}
