@testable import PartyRuntime
import PartyServer
import Testing

/// `ConnectionLifecycle` driven by sequences of events, without sockets or tasks.
@Suite("Connection lifecycle (state machine)")
struct ConnectionLifecycleTests {
    private let limits = ConnectionLimits(maxQueuedBytes: 100, maxQueuedMessages: 3)

    @Test("messages queue while open; the room's close queues the close frame last and drops later messages")
    func roomCloses() {
        var connection = ConnectionLifecycle()
        #expect(connection.push(size: 10, queued: 0, limits: limits) == .queue)
        #expect(connection.queuedBytes == 10)
        let firstClose = connection.startClosing()
        #expect(firstClose)
        #expect(connection.status == .closing)
        #expect(connection.writerFinished)
        let secondClose = connection.startClosing()
        #expect(!secondClose, "only the first close sends a close frame")
        #expect(connection.push(size: 10, queued: 2, limits: limits) == .drop)
        let pongAfterClose = connection.queueControl(finishing: false)
        #expect(!pongAfterClose, "no pong after the close frame")
        connection.finishWriting()
        connection.close()
        #expect(connection.status == .closed)
        #expect(!connection.dropped)
    }

    @Test("the queue overflows on the message count or the byte count: closing, queue emptied, writer stopped")
    func overflow() {
        var byCount = ConnectionLifecycle()
        for queued in 0..<3 { #expect(byCount.push(size: 1, queued: queued, limits: limits) == .queue) }
        #expect(byCount.push(size: 1, queued: 3, limits: limits) == .overflow)
        #expect(byCount.status == .closing)
        #expect(byCount.writerFinished)
        #expect(byCount.queuedBytes == 0)
        #expect(byCount.push(size: 1, queued: 0, limits: limits) == .drop)

        var byBytes = ConnectionLifecycle()
        #expect(byBytes.push(size: 60, queued: 0, limits: limits) == .queue)
        #expect(byBytes.push(size: 39, queued: 1, limits: limits) == .queue)
        #expect(byBytes.queuedBytes == 99)
        #expect(byBytes.push(size: 2, queued: 2, limits: limits) == .queue, "99 bytes wait: under the limit")
        #expect(byBytes.push(size: 1, queued: 2, limits: limits) == .overflow, "101 bytes wait: at the limit")
        #expect(byBytes.status == .closing)
        // Draining the queue frees its bytes.
        var drained = ConnectionLifecycle()
        #expect(drained.push(size: 60, queued: 0, limits: limits) == .queue)
        drained.drained()
        #expect(drained.push(size: 60, queued: 0, limits: limits) == .queue)
    }

    @Test("the limits bound the backlog, not one message: a message larger than the byte limit goes into a queue holding less")
    func largeMessage() {
        var connection = ConnectionLifecycle()
        #expect(connection.push(size: 4_000, queued: 0, limits: limits) == .queue, "into an empty queue")
        #expect(connection.status == .open)
        connection.drained()
        #expect(connection.push(size: 10, queued: 0, limits: limits) == .queue)
        #expect(connection.push(size: 4_000, queued: 1, limits: limits) == .queue, "10 bytes wait: under the limit")
        #expect(connection.queuedBytes == 4_010)
        #expect(connection.push(size: 1, queued: 2, limits: limits) == .overflow, "the backlog is over the limit")
    }

    @Test("the peer's close: its echo is queued past the limits and makes the connection closing")
    func peerCloses() {
        var connection = ConnectionLifecycle()
        let pong = connection.queueControl(finishing: false)
        #expect(pong, "a pong")
        #expect(connection.status == .open)
        let closeEcho = connection.queueControl(finishing: true)
        #expect(closeEcho, "the close echo")
        #expect(connection.status == .closing)
        let roomCloseAfterPeer = connection.startClosing()
        #expect(!roomCloseAfterPeer, "the room's close after the peer's sends nothing more")
        #expect(connection.push(size: 1, queued: 0, limits: limits) == .drop)
    }

    @Test("a vanished peer: reading ends, the writer stops, then the connection is closed")
    func peerVanishes() {
        var connection = ConnectionLifecycle()
        connection.finishWriting()
        #expect(connection.status == .closing)
        #expect(connection.writerFinished)
        connection.close()
        #expect(connection.status == .closed)
    }

    @Test("a hard termination drops the connection: closed, marked dropped, nothing more queued")
    func dropped() {
        var connection = ConnectionLifecycle()
        #expect(connection.push(size: 5, queued: 0, limits: limits) == .queue)
        connection.drop()
        #expect(connection.status == .closed)
        #expect(connection.dropped)
        #expect(connection.queuedBytes == 0)
        #expect(connection.push(size: 1, queued: 0, limits: limits) == .drop)
        let echoAfterDrop = connection.queueControl(finishing: true)
        #expect(!echoAfterDrop)
    }
}
