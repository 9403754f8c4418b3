import NIOCore

/// Cuts a Server-Sent Events body into whole events (each ends with an empty line), so events
/// from several nodes can be merged into one stream without interleaving their bytes. Comment-only
/// events (keep-alives) are dropped: the merged stream sends its own.
struct EventStreamSplitter {
    /// The most a partial event may hold before it is dropped as malformed.
    static let maxEventSize = 256 * 1024
    private var pending = ByteBuffer()

    /// Adds `piece`; returns the events it completed, each with its closing empty line.
    mutating func append(_ piece: ByteBuffer) -> [ByteBuffer] {
        var piece = piece
        pending.writeBuffer(&piece)
        var events: [ByteBuffer] = []
        while let end = Self.endOfEvent(in: pending) {
            guard let event = pending.readSlice(length: end) else { break }
            if event.readableBytesView.first != UInt8(ascii: ":") { events.append(event) }
        }
        if pending.readableBytes > Self.maxEventSize { pending.clear() }
        pending.discardReadBytes()
        return events
    }

    /// The length of the first whole event in `buffer` (through its `\n\n`), if there is one.
    private static func endOfEvent(in buffer: ByteBuffer) -> Int? {
        let bytes = buffer.readableBytesView
        var previous: UInt8 = 0
        for (offset, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\n") && previous == UInt8(ascii: "\n") { return offset + 1 }
            if byte != UInt8(ascii: "\r") { previous = byte }
        }
        return nil
    }
}
