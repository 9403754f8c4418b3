import Foundation
@testable import PartyRuntime
import PartyServer
import PartyServerTesting
import Testing

@Suite("Input gate")
struct InputGateTests {
    // MARK: The value type, without I/O

    @Test("the first event enters, later ones queue and are handed the gate in arrival order")
    func handsOverInOrder() {
        var gate = InputGate<String>()
        #expect(gate.tryEnter() == 0)
        #expect(gate.tryEnter() == nil)
        gate.enqueue("b")
        gate.enqueue("c")
        #expect(gate.waiting == 2)
        guard case .handOver("b") = gate.leave(epoch: 0) else { Issue.record("b should hold the gate"); return }
        #expect(gate.isHeld)
        guard case .handOver("c") = gate.leave(epoch: 0) else { Issue.record("c should hold the gate"); return }
        guard case .freed = gate.leave(epoch: 0) else { Issue.record("the gate should be free"); return }
        #expect(!gate.isHeld)
        #expect(gate.tryEnter() == 0)
    }

    @Test("a reset frees the gate, returns the waiters to try again, and the old holder's leave changes nothing")
    func resetMakesOldHolderStale() {
        var gate = InputGate<Int>()
        #expect(gate.tryEnter() == 0)
        gate.enqueue(1)
        gate.enqueue(2)
        #expect(Array(gate.reset()) == [1, 2])
        #expect(!gate.isHeld)
        #expect(gate.tryEnter() == 1)
        guard case .stale = gate.leave(epoch: 0) else { Issue.record("a leave from before the reset must be stale"); return }
        #expect(gate.isHeld)
        guard case .freed = gate.leave(epoch: 1) else { Issue.record("the holder of epoch 1 frees it"); return }
    }

    // MARK: In a live room

    private static func register(_ app: PartyApplication) throws {
        try app.register(HeldRoom.self, as: "held")
        try app.register(HeldRoom.self, as: "open-held", options: HeldRoom.withoutGate)
    }

    @Test("while a hook awaits something that is not storage, the room's other events wait and then run in order")
    func otherEventsWaitForTheHook() async throws {
        try await PartyTestServer.withServer(Self.register) { server in
            let room = uniqueRoom("held")
            let gate = uniqueRoom("gate")
            let alice = try await server.webSocket("/parties/held/\(room)")
            let bob = try await server.webSocket("/parties/held/\(room)")
            try await alice.send(text: "hold:\(gate)")
            try await waitUntil("alice's hook is waiting") { Recorder.shared.events(room).contains("hold begins") }
            try await bob.send(text: "echo:one")
            try await bob.send(text: "echo:two")
            let slot = try #require(server.application.registry?.existingSlot(RoomKey(server: "held", name: room)))
            try await waitUntil("bob's message waits for the input gate") { slot.waitingEvents == 1 }
            #expect(!Recorder.shared.events(room).contains("echo"))
            await TestGates.shared.gate(gate).open()
            #expect(try await alice.nextText() == "held")
            #expect(try await bob.nextText() == "one")
            #expect(try await bob.nextText() == "two")
            #expect(Recorder.shared.events(room) == ["hold begins", "hold ends", "echo", "echo"])
        }
    }

    @Test("a type with inputGate: false runs other events while a hook awaits")
    func optOutInterleaves() async throws {
        try await PartyTestServer.withServer(Self.register) { server in
            let room = uniqueRoom("open")
            let gate = uniqueRoom("gate")
            let alice = try await server.webSocket("/parties/open-held/\(room)")
            let bob = try await server.webSocket("/parties/open-held/\(room)")
            try await alice.send(text: "hold:\(gate)")
            try await waitUntil("alice's hook is waiting") { Recorder.shared.events(room).contains("hold begins") }
            try await bob.send(text: "echo:meanwhile")
            #expect(try await bob.nextText() == "meanwhile")
            await TestGates.shared.gate(gate).open()
            #expect(try await alice.nextText() == "held")
            #expect(Recorder.shared.events(room) == ["hold begins", "echo", "hold ends"])
        }
    }

    @Test("a hard termination frees the gate: the next event starts a new activation while the old hook still waits")
    func hardTerminationFreesTheGate() async throws {
        var configuration = PartyConfiguration()
        configuration.control.apiKey = controlKey
        try await PartyTestServer.withServer(configuration: configuration, Self.register) { server in
            let room = uniqueRoom("hard")
            let gate = uniqueRoom("gate")
            let alice = try await server.webSocket("/parties/held/\(room)")
            try await alice.send(text: "hold:\(gate)")
            try await waitUntil("alice's hook is waiting") { Recorder.shared.events(room).contains("hold begins") }
            let terminated = try await server.control("POST", "/rooms/held/\(room)/terminate", json: ["hard": true])
            #expect(terminated.status == 200, "\(terminated.text)")
            let bob = try await server.webSocket("/parties/held/\(room)")
            try await bob.send(text: "echo:new")
            #expect(try await bob.nextText() == "new")
            await TestGates.shared.gate(gate).open()
            try await waitUntil("the old hook finished") { Recorder.shared.events(room).contains("hold ends") }
        }
    }
}
