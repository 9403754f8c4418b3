import Foundation
@testable import PartyRuntime
import PartyServer
import PartyServerTesting
import Synchronization
import Testing

@Suite("Room calls")
struct RoomCallTests {
    @Test("concurrent calls activate the target once and reach its onRequest with method, path, headers and body")
    func activatesOnceAndFetches() async throws {
        let harness = try CallHarness()
        let name = uniqueRoom("ledger")
        let ledger = harness.caller().stub(for: Ledger.self, named: name)
        let totals = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask { try await ledger.call(.add(1)).total }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Recorder.shared.count(name, "start") == 1)
        #expect(totals.sorted() == Array(1...20), "the input gate made each read-modify-write atomic")

        let response = try await ledger.fetch(.put, path: "/echo", headers: [HTTPField.Name("x-test")!: "yes"], body: ByteBuffer(string: "hello"))
        #expect(response.status == .ok)
        let echo = try JSONDecoder().decode([String: String].self, from: Data(response.body.readableBytesView))
        #expect(echo == ["method": "PUT", "path": "/echo", "header": "yes", "body": "hello", "caller": "front-desk/origin"])
        #expect(Recorder.shared.count(name, "start") == 1)
        await harness.close()
    }

    @Test("a typed call round-trips its call and reply as JSON and tells the callee who called")
    func typedRoundTrip() async throws {
        let harness = try CallHarness()
        let ledger = harness.caller("desk-1").stub(for: Ledger.self, named: uniqueRoom("ledger"))
        #expect(try await ledger.call(.add(5)) == Ledger.Reply(total: 5, caller: "front-desk/desk-1"))
        #expect(try await ledger.call(.add(-2)) == Ledger.Reply(total: 3, caller: "front-desk/desk-1"))
        await harness.close()
    }

    @Test("a callee that throws fails the call with .failed carrying its type and message; a Rejection answers with its status")
    func calleeThrows() async throws {
        let harness = try CallHarness()
        let ledger = harness.caller().stub(for: Ledger.self, named: uniqueRoom("ledger"))
        await #expect(throws: RoomCallError.failed(errorType: "LedgerFailure", message: "boom")) {
            try await ledger.call(.fail("boom"))
        }
        await #expect(throws: RoomCallError.failed(errorType: "LedgerFailure", message: "request failed")) {
            try await ledger.fetch(path: "/throw")
        }
        #expect(try await ledger.fetch(path: "/reject").status == .forbidden)
        #expect(try await ledger.call(.add(1)).total == 1, "the room still serves calls")
        await harness.close()
    }

    @Test("an unregistered server type, an invalid name and a stopped registry are .unreachable, each saying why")
    func unreachable() async throws {
        var harness: CallHarness? = try CallHarness()
        let caller = harness!.caller()
        let cases: [(@Sendable () async throws -> Response, String)] = [
            ({ try await caller.stub(for: Unregistered.self, named: "x").fetch() }, "is not registered; register it with app.register(Unregistered.self)"),
            ({ try await caller.stub(for: Ledger.self, named: "a/b").fetch() }, "room name \"a/b\" is not valid: room name may not contain '/'"),
            ({ try await caller.stub(for: Ledger.self, named: "").fetch() }, "room name \"\" is not valid: room name is empty"),
        ]
        for (call, expected) in cases {
            do {
                _ = try await call()
                Issue.record("expected .unreachable containing \(expected)")
            } catch let error as RoomCallError {
                guard case .unreachable(let reason) = error else { Issue.record("expected .unreachable, got \(error)"); continue }
                #expect(reason.contains(expected), "\(reason)")
            }
        }
        let engine = harness!.engine
        harness = nil
        do {
            _ = try await caller.stub(for: Ledger.self, named: "x").fetch()
            Issue.record("a call without a registry succeeded")
        } catch {
            #expect(error.description.contains("shutting down"), "\(error)")
        }
        await engine.close()
    }

    @Test("a call times out on the injected clock, without real waiting, with the stub's timeout or the default")
    func timeout() async throws {
        let clock = ManualClock()
        let harness = try CallHarness(clock: clock)
        let name = uniqueRoom("slow")
        let caller = harness.caller()
        let outcome = Mutex<Result<Ledger.Reply, RoomCallError>?>(nil)
        Task {
            do throws(RoomCallError) {
                let reply = try await caller.stub(for: Ledger.self, named: name).call(.wait)
                outcome.withLock { $0 = .success(reply) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
        }
        try await waitUntil("the call waits for its deadline") { clock.sleeperDeadlines == [clock.now.addingTimeInterval(30)] }
        clock.advance(by: .seconds(29))
        #expect(outcome.withLock { $0 } == nil)
        clock.advance(by: .seconds(1))
        try await waitUntil("the call timed out") { outcome.withLock { $0 } != nil }
        #expect(throws: RoomCallError.timeout(.seconds(30))) { try outcome.withLock { $0 }!.get() }

        // The callee still holds its gate: a call with a shorter timeout waits behind it, then times out.
        let second = Mutex<RoomCallError?>(nil)
        Task {
            do throws(RoomCallError) {
                _ = try await caller.stub(for: Ledger.self, named: name, timeout: .seconds(5)).call(.add(1))
            } catch {
                second.withLock { $0 = error }
            }
        }
        try await waitUntil("the second call waits for its deadline") { clock.sleepers == 1 }
        clock.advance(by: .seconds(5))
        try await waitUntil("the second call timed out") { second.withLock { $0 } != nil }
        #expect(second.withLock { $0 } == .timeout(.seconds(5)))

        await CallGates.gate(name).open()
        #expect(try await caller.stub(for: Ledger.self, named: name).call(.add(0)).total == 1, "the timed-out calls still ran in the callee")
        await harness.close()
    }

    @Test("A → B → A fails at once with .cycle naming the chain, and so does a room calling itself")
    func cycles() async throws {
        let harness = try CallHarness()
        let (a, b) = (uniqueRoom("a"), uniqueRoom("b"))
        let reply = try await harness.caller().stub(for: Ledger.self, named: a).call(.relay([b, a]))
        #expect(reply.error == "cycle")
        #expect(reply.chain == ["front-desk/origin", "ledger/\(a)", "ledger/\(b)", "ledger/\(a)"])
        #expect(reply.caller == "ledger/\(a)", "B answered A's call")

        let selfCall = try await harness.caller().stub(for: Ledger.self, named: a).call(.relay([a]))
        #expect(selfCall.error == "cycle")
        #expect(selfCall.chain == ["front-desk/origin", "ledger/\(a)", "ledger/\(a)"])

        let origin = harness.caller("loop")
        await #expect(throws: RoomCallError.cycle(["front-desk/loop", "front-desk/loop"])) {
            try await origin.stub(for: FrontDesk.self, named: "loop").fetch()
        }
        let chained = try await harness.caller().stub(for: Ledger.self, named: a).call(.relay([b, uniqueRoom("c")]))
        #expect(chained.error == nil && chained.caller == "ledger/\(b)", "a chain without a repeat goes through")
        await harness.close()
    }
}
