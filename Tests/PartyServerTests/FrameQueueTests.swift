import DequeModule
import NIOCore
@testable import PartyRuntime
import PartyServer
import Testing

@Suite("Outbound frame queue")
struct FrameQueueTests {
    private func frame(_ text: String) -> OutboundFrame {
        OutboundFrame(kind: .text, data: ByteBuffer(string: text))
    }

    private func texts(_ frames: some Sequence<OutboundFrame>) -> [String] {
        frames.map { String(buffer: $0.data) }
    }

    @Test("frames come out in order across drains and growth")
    func orderAcrossWrapAndGrowth() {
        let queue = FrameQueue(capacity: 2)
        var batch = Deque<OutboundFrame>()
        queue.append(frame("a"))
        queue.moveAll(into: &batch)
        #expect(texts(batch) == ["a"])
        batch.removeAll()
        // Fill past the initial capacity to force growth.
        for index in 0..<5 { queue.append(frame("f\(index)")) }
        #expect(queue.count == 5)
        queue.moveAll(into: &batch)
        #expect(texts(batch) == ["f0", "f1", "f2", "f3", "f4"])
        #expect(queue.isEmpty)
    }

    @Test("removeAll drops frames and the queue keeps working")
    func removeAllThenReuse() {
        let queue = FrameQueue(capacity: 4)
        for index in 0..<3 { queue.append(frame("x\(index)")) }
        queue.removeAll()
        #expect(queue.isEmpty)
        queue.append(frame("y"))
        #expect(texts(queue.removeAllFrames()) == ["y"])
        #expect(queue.count == 0)
    }

    @Test("storage grown by a burst is released after a sparse drain, and the queue keeps working")
    func burstStorageIsReleased() {
        let queue = FrameQueue()
        var batch = Deque<OutboundFrame>()
        for index in 0..<500 { queue.append(frame("b\(index)")) }
        queue.moveAll(into: &batch)
        #expect(batch.count == 500)
        batch.removeAll()
        queue.append(frame("small"))
        queue.moveAll(into: &batch)
        #expect(texts(batch) == ["small"])
        for index in 0..<20 { queue.append(frame("c\(index)")) }
        #expect(texts(queue.removeAllFrames()) == (0..<20).map { "c\($0)" })
    }
}
