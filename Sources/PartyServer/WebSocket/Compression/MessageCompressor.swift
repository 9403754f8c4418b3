import CompressNIO
import CoreMetrics
import NIOConcurrencyHelpers
import NIOCore
import PartyRuntime

/// Compresses whole outbound messages for permessage-deflate without context takeover.
///
/// zlib streams are pooled by window size and reset after each message, so no connection owns
/// one. A broadcast is compressed once for all its recipients through the frame's
/// `SharedEncoding`, not here.
package final class MessageCompressor: Sendable {
    /// Most idle zlib streams kept per window size.
    static let poolLimit = 8

    package let settings: PerMessageDeflate
    private let idle = NIOLockedValueBox<[Int: [ZlibStream<ZlibCompressor>]]>([:])
    private let compressed: CoreMetrics.Counter
    private let bytesIn: CoreMetrics.Counter
    private let bytesOut: CoreMetrics.Counter

    package init(settings: PerMessageDeflate, metrics: PartyMetrics = PartyMetrics(routeNames: [])) {
        self.settings = settings
        self.compressed = metrics.messagesCompressed
        self.bytesIn = metrics.compressionBytesIn
        self.bytesOut = metrics.compressionBytesOut
    }

    /// `message` compressed with `windowBits` (the 4-byte sync-flush tail removed, RFC 7692
    /// §7.2.1), or nil when it is below the minimum size. Like Node's `ws` and Python's
    /// `websockets`, a message at or over the minimum is compressed even when it does not shrink
    /// (random bytes grow by a few bytes): some clients cannot read an uncompressed message once
    /// compression is negotiated.
    package func compress(_ message: ByteBuffer, windowBits: Int) -> ByteBuffer? {
        guard message.readableBytes >= settings.minimumSize, let stream = takeStream(windowBits: windowBits) else { return nil }
        defer { giveBack(stream, windowBits: windowBits) }
        var input = message
        var output = ByteBufferAllocator().buffer(capacity: stream.value.maxSize(from: message))
        do {
            try stream.value.deflate(from: &input, to: &output, flush: .sync)
            try stream.value.reset()
        } catch {
            try? stream.value.reset()
            return nil
        }
        // A sync flush ends with an empty stored block, 00 00 FF FF, which the receiver adds back.
        if output.readableBytes >= 4, output.getInteger(at: output.writerIndex - 4, as: UInt32.self) == 0x0000_FFFF {
            output.moveWriterIndex(to: output.writerIndex - 4)
        }
        compressed.increment()
        bytesIn.increment(by: message.readableBytes)
        bytesOut.increment(by: output.readableBytes)
        // The buffer was sized for the worst case; queues should hold only what is used.
        guard output.capacity > 2 * output.readableBytes + 64 else { return output }
        var tight = ByteBufferAllocator().buffer(capacity: output.readableBytes)
        tight.writeBuffer(&output)
        return tight
    }

    private func takeStream(windowBits: Int) -> ZlibStream<ZlibCompressor>? {
        if let stream = idle.withLockedValue({ $0[windowBits]?.popLast() }) { return stream }
        let configuration = ZlibConfiguration(
            windowSize: Int32(windowBits),
            compressionLevel: Int32(settings.level),
            memoryLevel: Int32(settings.memoryLevel)
        )
        return (try? ZlibCompressor(algorithm: .deflate, configuration: configuration)).map(ZlibStream.init)
    }

    private func giveBack(_ stream: ZlibStream<ZlibCompressor>, windowBits: Int) {
        idle.withLockedValue { idle in
            if idle[windowBits, default: []].count < Self.poolLimit {
                idle[windowBits, default: []].append(stream)
            }
        }
    }
}

/// A zlib stream moved between threads: it is only ever used by the one caller that took it
/// out of its pool, under the pool's lock, so it is never used from two threads at once.
struct ZlibStream<Stream: AnyObject>: @unchecked Sendable {
    let value: Stream
}
