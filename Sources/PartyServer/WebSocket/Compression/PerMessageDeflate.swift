/// permessage-deflate (RFC 7692): how the server compresses WebSocket messages for clients that
/// offer it (browsers, Node's `ws` and Python's `websockets` offer it on every connection).
///
/// Both directions reset their compression context after every message
/// (`server_no_context_takeover` and `client_no_context_takeover` are always part of the answer),
/// so a connection keeps no zlib state between messages: compressors and inflaters are pooled
/// and shared, an idle or hibernated room's connections hold none, and a message broadcast to a
/// room is compressed once, not once per connection.
public struct PerMessageDeflate: Sendable, Equatable {
    /// Smallest message, in bytes, the server compresses; smaller ones go out uncompressed (they
    /// rarely shrink, and skipping them saves both ends the work). Default 256.
    public var minimumSize: Int
    /// zlib compression level, 1 (fastest) to 9 (smallest). Default 6, zlib's own default.
    public var level: Int
    /// Largest LZ77 window, in bits (9...15), the server compresses with; a client may ask for
    /// less with `server_max_window_bits`. Default 15 (32 KiB).
    public var maxWindowBits: Int
    /// zlib `memLevel`, 1...9: memory of each pooled compressor against speed and ratio. Default 8.
    public var memoryLevel: Int

    /// Creates the settings; values outside their ranges are clamped into them.
    public init(minimumSize: Int = 256, level: Int = 6, maxWindowBits: Int = 15, memoryLevel: Int = 8) {
        self.minimumSize = max(1, minimumSize)
        self.level = min(9, max(1, level))
        self.maxWindowBits = min(15, max(9, maxWindowBits))
        self.memoryLevel = min(9, max(1, memoryLevel))
    }
}
