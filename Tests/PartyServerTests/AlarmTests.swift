import Foundation
import PartyServer
import PartyServerTesting
import Synchronization
import Testing

@Suite("Alarms")
struct AlarmTests {
    private static func milliseconds(_ date: Date) -> String {
        String(Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    @Test("an alarm wakes a hibernated room: onStart runs first, and its name and storage are usable in onAlarm")
    func alarmWakesHibernatedRoom() async throws {
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            let name = uniqueRoom("alarm")
            let socket = try await server.webSocket("/parties/notebook/\(name)")
            try await socket.send(text: "put:k=stored-value")
            #expect(try await socket.nextText() == "stored")
            try await socket.send(text: "alarm-in:3600000")
            #expect(try await socket.nextText() == "alarm-set")
            let due = clock.now.addingTimeInterval(3600)
            #expect(try await server.request("GET", "/parties/notebook/\(name)/alarm").text == Self.milliseconds(due))

            try await advance(clock, by: .seconds(11), until: "hibernated") { server.state("notebook", name) == .hibernated }
            let before = Recorder.shared.events(name).count
            clock.advance(to: due)
            #expect(try await socket.nextText() == "alarm:0:\(name):stored-value")
            #expect(Array(Recorder.shared.events(name).dropFirst(before)) == ["init", "restore 0", "start", "alarm 0 false"])
            #expect(try await server.request("GET", "/parties/notebook/\(name)/alarm").text == "none")
        }
    }

    @Test("an alarm in the past fires at once; a later setAlarm replaces the earlier; deleteAlarm cancels")
    func pastReplaceDelete() async throws {
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            let name = uniqueRoom("alarm")
            let socket = try await server.webSocket("/parties/notebook/\(name)")
            try await socket.send(text: "alarm-in:-5000")
            #expect(try await socket.nextText() == "alarm-set")
            #expect(try await socket.nextText() == "alarm:0:\(name):-")

            try await socket.send(text: "alarm-in:60000")
            #expect(try await socket.nextText() == "alarm-set")
            try await socket.send(text: "alarm-in:120000")
            #expect(try await socket.nextText() == "alarm-set")
            #expect(try await server.request("GET", "/parties/notebook/\(name)/alarm").text == Self.milliseconds(clock.now.addingTimeInterval(120)))
            clock.advance(by: .seconds(61))
            try await socket.joined()
            clock.advance(by: .seconds(60))
            #expect(try await socket.nextText() == "alarm:0:\(name):-")
            #expect(Recorder.shared.count(name, "alarm ") == 2)

            try await socket.send(text: "alarm-in:1000")
            #expect(try await socket.nextText() == "alarm-set")
            try await socket.send(text: "delete-alarm")
            #expect(try await socket.nextText() == "alarm-deleted")
            #expect(try await server.request("GET", "/parties/notebook/\(name)/alarm").text == "none")
            clock.advance(by: .seconds(3600))
            try await socket.send(text: "alarm-in:0")
            #expect(try await socket.nextText() == "alarm-set")
            #expect(try await socket.nextText() == "alarm:0:\(name):-")
            #expect(Recorder.shared.count(name, "alarm ") == 3)
        }
    }

    @Test("a throwing onAlarm is retried with exponential backoff and its retryCount, then dropped after the last retry")
    func retriesWithBackoff() async throws {
        let clock = ManualClock()
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory, clock: clock, configure: { $0.alarms.maxRetries = 3 }) { server in
            let recovering = uniqueRoom("retry")
            Notebook.alarmFailures.withLock { $0[recovering] = 2 }
            let socket = try await server.webSocket("/parties/notebook/\(recovering)")
            try await socket.send(text: "alarm-in:0")
            #expect(try await socket.nextText() == "alarm-set")
            try await waitUntil("the first run failed") { Recorder.shared.count(recovering, "alarm ") == 1 }
            let firstFailure = clock.now
            try await waitUntil("the retry is scheduled 2 s later") {
                try await server.request("GET", "/parties/notebook/\(recovering)/alarm").text == Self.milliseconds(firstFailure.addingTimeInterval(2))
            }
            clock.advance(by: .milliseconds(1999))
            try await socket.joined()
            #expect(Recorder.shared.count(recovering, "alarm ") == 1)
            clock.advance(by: .milliseconds(1))
            try await waitUntil("the second run failed") { Recorder.shared.count(recovering, "alarm ") == 2 }
            let secondFailure = clock.now
            try await waitUntil("the next retry is 4 s later") {
                try await server.request("GET", "/parties/notebook/\(recovering)/alarm").text == Self.milliseconds(secondFailure.addingTimeInterval(4))
            }
            clock.advance(by: .seconds(4))
            #expect(try await socket.nextText() == "alarm:2:\(recovering):-")
            #expect(Recorder.shared.events(recovering).filter { $0.hasPrefix("alarm ") } == ["alarm 0 false", "alarm 1 true", "alarm 2 true"])
            #expect(try await server.request("GET", "/parties/notebook/\(recovering)/alarm").text == "none")

            let hopeless = uniqueRoom("dropped")
            Notebook.alarmFailures.withLock { $0[hopeless] = 100 }
            let other = try await server.webSocket("/parties/notebook/\(hopeless)")
            try await other.send(text: "alarm-in:0")
            #expect(try await other.nextText() == "alarm-set")
            try await advance(clock, by: .seconds(1), until: "four runs: the first and three retries") { Recorder.shared.count(hopeless, "alarm ") == 4 }
            try await waitUntil("the alarm was dropped") {
                try await server.request("GET", "/parties/notebook/\(hopeless)/alarm").text == "none"
            }
            clock.advance(by: .seconds(3600))
            try await other.joined()
            #expect(Recorder.shared.count(hopeless, "alarm ") == 4)
            let metrics = try await server.request("GET", "/metrics").text
            #expect(metrics.contains("partyserver_alarms_dropped_total 1"))
            #expect(metrics.contains("partyserver_alarms_retried_total 5"))
        }
    }

    @Test("alarms survive a restart: due ones fire at boot, later ones at their time")
    func alarmsSurviveRestart() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ManualClock()
        let soon = uniqueRoom("soon")
        let later = uniqueRoom("later")
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            for (name, delay) in [(soon, 60_000), (later, 7_200_000)] {
                let socket = try await server.webSocket("/parties/notebook/\(name)")
                try await socket.send(text: "alarm-in:\(delay)")
                #expect(try await socket.nextText() == "alarm-set")
            }
        }
        // The process is down while `soon` comes due.
        clock.advance(by: .seconds(3600))
        try await withDurableServer(dataDirectory: directory, clock: clock) { server in
            try await waitUntil("the overdue alarm fired at boot") { Recorder.shared.count(soon, "alarm 0") == 1 }
            #expect(Recorder.shared.count(later, "alarm ") == 0)
            #expect(Recorder.shared.events(soon).suffix(3) == ["restore 0", "start", "alarm 0 false"])
            clock.advance(by: .seconds(3600))
            try await waitUntil("the later alarm fired at its time") { Recorder.shared.count(later, "alarm 0") == 1 }
            #expect(try await server.request("GET", "/parties/notebook/\(soon)/alarm").text == "none")
        }
    }
}
