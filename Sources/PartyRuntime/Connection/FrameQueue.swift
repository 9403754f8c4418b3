import DequeModule

/// The outbound frames of one connection: a growable buffer, always drained whole, that keeps its
/// storage across drains, so queueing a frame allocates nothing once the buffer has grown to the
/// connection's usual backlog.
///
/// A class with manually managed storage rather than a `Deque`: a copy-on-write collection kept
/// behind the connection's lock reallocated its storage on every append. Only ever touched while
/// that lock is held, which is what makes the `@unchecked Sendable` sound.
final class FrameQueue: @unchecked Sendable {
    private var buffer: UnsafeMutablePointer<OutboundFrame>
    private var capacity: Int
    /// Number of queued frames.
    private(set) var count = 0

    init(capacity: Int = FrameQueue.initialCapacity) {
        self.capacity = capacity
        self.buffer = .allocate(capacity: capacity)
    }

    deinit {
        removeAll()
        buffer.deallocate()
    }

    /// Whether no frame is queued.
    var isEmpty: Bool { count == 0 }

    /// Appends `frame`, doubling the storage when it is full.
    func append(_ frame: OutboundFrame) {
        if count == capacity { grow() }
        (buffer + count).initialize(to: frame)
        count += 1
    }

    /// Drops every queued frame, keeping the storage.
    func removeAll() {
        buffer.deinitialize(count: count)
        drained(count)
    }

    /// Moves every queued frame, in order, to the end of `batch`.
    func moveAll(into batch: inout Deque<OutboundFrame>) {
        for index in 0..<count {
            batch.append((buffer + index).move())
        }
        drained(count)
    }

    /// Removes and returns every queued frame, in order.
    func removeAllFrames() -> [OutboundFrame] {
        var frames: [OutboundFrame] = []
        frames.reserveCapacity(count)
        for index in 0..<count {
            frames.append((buffer + index).move())
        }
        drained(count)
        return frames
    }

    /// Marks the buffer empty after `frames` were taken out; storage that a burst grew large and
    /// that the last drain used less than a quarter of goes back to the initial size, so an idle
    /// connection does not keep a burst's worth of memory.
    private func drained(_ frames: Int) {
        count = 0
        guard capacity > Self.retainedCapacity, frames < capacity / 4 else { return }
        buffer.deallocate()
        capacity = Self.initialCapacity
        buffer = .allocate(capacity: capacity)
    }

    private static let initialCapacity = 8
    private static let retainedCapacity = 64

    private func grow() {
        let newCapacity = capacity * 2
        let newBuffer = UnsafeMutablePointer<OutboundFrame>.allocate(capacity: newCapacity)
        newBuffer.moveInitialize(from: buffer, count: count)
        buffer.deallocate()
        buffer = newBuffer
        capacity = newCapacity
    }
}
