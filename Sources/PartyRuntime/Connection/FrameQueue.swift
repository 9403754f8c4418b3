import DequeModule

/// The outbound frames of one connection: a growable buffer, always drained whole, that holds
/// storage only while frames wait. The writer takes the storage itself (`takeAll()`), so a drain
/// moves nothing and an idle connection keeps no buffer at all.
///
/// A class with manually managed storage rather than a `Deque`: a copy-on-write collection kept
/// behind the connection's lock reallocated its storage on every append. Only ever touched while
/// that lock is held, which is what makes the `@unchecked Sendable` sound.
final class FrameQueue: @unchecked Sendable {
    private var buffer: UnsafeMutablePointer<OutboundFrame>?
    private var capacity = 0
    private let initialCapacity: Int
    /// Number of queued frames.
    private(set) var count = 0

    /// An empty queue that allocates room for `capacity` frames when the first one arrives.
    init(capacity: Int = FrameQueue.defaultInitialCapacity) {
        self.initialCapacity = max(1, capacity)
    }

    deinit {
        removeAll()
    }

    /// Whether no frame is queued.
    var isEmpty: Bool { count == 0 }

    /// Frames the current storage holds without growing (0 when the queue holds no storage).
    var storageCapacity: Int { capacity }

    /// Appends `frame`, allocating or doubling the storage when it is full.
    func append(_ frame: OutboundFrame) {
        if count == capacity { grow() }
        // `grow()` guarantees storage.
        (buffer.unsafelyUnwrapped + count).initialize(to: frame)
        count += 1
    }

    /// Drops every queued frame and releases the storage.
    func removeAll() {
        if let buffer {
            buffer.deinitialize(count: count)
            buffer.deallocate()
        }
        reset()
    }

    /// Hands every queued frame, in order, and the storage holding them to the caller.
    func takeAll() -> FrameBatch {
        let batch = FrameBatch(base: buffer, count: count)
        reset()
        return batch
    }

    /// Moves every queued frame, in order, to the end of `batch`.
    func moveAll(into batch: inout Deque<OutboundFrame>) {
        var taken = takeAll()
        while let frame = taken.next() { batch.append(frame) }
    }

    /// Removes and returns every queued frame, in order.
    func removeAllFrames() -> [OutboundFrame] {
        var taken = takeAll()
        var frames: [OutboundFrame] = []
        frames.reserveCapacity(taken.count)
        while let frame = taken.next() { frames.append(frame) }
        return frames
    }

    private func reset() {
        buffer = nil
        capacity = 0
        count = 0
    }

    static let defaultInitialCapacity = 4

    private func grow() {
        let newCapacity = capacity == 0 ? initialCapacity : capacity * 2
        let newBuffer = UnsafeMutablePointer<OutboundFrame>.allocate(capacity: newCapacity)
        if let buffer {
            newBuffer.moveInitialize(from: buffer, count: count)
            buffer.deallocate()
        }
        buffer = newBuffer
        capacity = newCapacity
    }
}

/// Frames taken out of a connection's queue together with their storage, which is released when
/// the batch ends (frames not yet taken out are dropped with it).
package struct FrameBatch: ~Copyable {
    private let base: UnsafeMutablePointer<OutboundFrame>?
    /// Number of frames the batch was taken with.
    package let count: Int
    private var taken = 0

    init(base: UnsafeMutablePointer<OutboundFrame>?, count: Int) {
        self.base = base
        self.count = count
    }

    /// The next frame, in queue order, or nil once all were taken.
    package mutating func next() -> OutboundFrame? {
        guard taken < count, let base else { return nil }
        defer { taken += 1 }
        return (base + taken).move()
    }

    deinit {
        guard let base else { return }
        (base + taken).deinitialize(count: count - taken)
        base.deallocate()
    }
}
