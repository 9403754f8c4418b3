import CompressNIO
import NIOConcurrencyHelpers
import NIOCore

/// Inflates whole inbound permessage-deflate messages without context takeover, never producing
/// more than the message size limit plus one chunk, however small the compressed input: a
/// compression bomb stops there. zlib streams are pooled and reset after each message.
package final class MessageInflater: Sendable {
    /// Bytes inflated per step; the most a message can overshoot the limit before it is refused.
    package static let chunkSize = 16 << 10
    /// Most idle zlib streams kept.
    static let poolLimit = 8
    /// The empty stored block a sender removes from every message (RFC 7692 §7.2.2).
    private static let tail = ByteBuffer(bytes: [0x00, 0x00, 0xFF, 0xFF])

    /// What inflating one message gave.
    package enum Outcome: Equatable {
        /// The message's bytes.
        case message(ByteBuffer)
        /// It inflates to more than the limit; `inflated` is how far it got before stopping.
        case tooBig(inflated: Int)
        /// It is not a valid raw deflate stream.
        case corrupt
    }

    /// A zlib stream with its output chunk.
    private final class Stream {
        let zlib: ZlibDecompressor
        var chunk: ByteBuffer

        init() throws {
            zlib = try ZlibDecompressor(algorithm: .deflate, windowSize: 15)
            chunk = ByteBufferAllocator().buffer(capacity: MessageInflater.chunkSize)
        }
    }

    private let idle = NIOLockedValueBox<[ZlibStream<Stream>]>([])

    package init() {}

    /// Inflates `compressed` (a message's payload as sent, without the 00 00 FF FF tail) into at
    /// most `limit` bytes.
    package func inflate(_ compressed: ByteBuffer, limit: Int) -> Outcome {
        guard let stream = idle.withLockedValue({ $0.popLast() }) ?? (try? Stream()).map(ZlibStream.init) else {
            return .corrupt
        }
        defer {
            if (try? stream.value.zlib.reset()) != nil {
                idle.withLockedValue { if $0.count < Self.poolLimit { $0.append(stream) } }
            }
        }
        var message: ByteBuffer?
        var input = compressed
        if input.readableBytes > 0, let refused = Self.run(&input, through: stream.value, into: &message, limit: limit) { return refused }
        input = Self.tail
        if let refused = Self.run(&input, through: stream.value, into: &message, limit: limit) { return refused }
        return .message(message ?? ByteBuffer())
    }

    /// Feeds `input` to the stream chunk by chunk; returns an outcome only to refuse the message.
    private static func run(_ input: inout ByteBuffer, through stream: Stream, into message: inout ByteBuffer?, limit: Int) -> Outcome? {
        while true {
            stream.chunk.clear()
            var more = false
            do {
                try stream.zlib.inflate(from: &input, to: &stream.chunk)
            } catch let error as CompressNIOError where error == .bufferOverflow {
                more = true
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                more = false
            } catch {
                return .corrupt
            }
            let count = stream.chunk.readableBytes
            if count > 0 {
                let produced = (message?.readableBytes ?? 0) + count
                if produced > limit { return .tooBig(inflated: produced) }
                if message == nil {
                    message = ByteBufferAllocator().buffer(capacity: more ? min(limit, count * 2) : count)
                }
                message!.writeImmutableBuffer(stream.chunk)
            }
            if !more { return nil }
        }
    }
}
