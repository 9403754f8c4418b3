import CompressNIO
import NIOCore
import NIOPosix

/// Inflates permessage-deflate messages for the connections of one event loop thread. The
/// server resets its compressor after every message (server_no_context_takeover), so one zlib
/// stream per thread, reset after each message, serves every connection of that thread.
final class LoopInflater: @unchecked Sendable {
    private static let perThread = ThreadSpecificVariable<LoopInflater>()
    private static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    private let zlib: ZlibDecompressor
    private var input = ByteBufferAllocator().buffer(capacity: 64 << 10)
    private var output = ByteBufferAllocator().buffer(capacity: 64 << 10)

    private init() throws {
        zlib = try ZlibDecompressor(algorithm: .deflate, windowSize: 15)
    }

    /// The inflater of the calling thread.
    static var current: LoopInflater {
        if let inflater = perThread.currentValue { return inflater }
        // swiftlint:disable:next force_try
        let inflater = try! LoopInflater()
        perThread.currentValue = inflater
        return inflater
    }

    /// The message `payload` (as sent, without the 00 00 FF FF tail) inflates to, or nil when it
    /// is not deflate data. The buffer is reused by the next call.
    func inflate(_ payload: UnsafeRawBufferPointer) -> ByteBuffer? {
        input.clear()
        input.writeBytes(payload)
        input.writeBytes(Self.tail)
        output.clear()
        defer { try? zlib.reset() }
        while true {
            do {
                try zlib.inflate(from: &input, to: &output)
                return output
            } catch let error as CompressNIOError where error == .bufferOverflow {
                output.reserveCapacity(output.capacity * 2)
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                return output
            } catch {
                return nil
            }
        }
    }
}
