import NIOCore
import Synchronization

/// Where the first connection to write a broadcast frame leaves the frame's encoded payload (its
/// permessage-deflate compression) for every other connection the frame went to: a message
/// broadcast to a room is encoded once, not once per connection.
package final class SharedEncoding: Sendable {
    /// The encoding made so far and the variant (compression window) it was made for.
    private let slot = Mutex<(variant: Int, bytes: ByteBuffer?)?>(nil)

    package init() {}

    /// The encoding for `variant`: the stored one, or `encode()`'s, which is stored when the slot
    /// is still empty (a connection wanting another variant encodes for itself). Encodes under
    /// the slot's lock, so recipients writing at the same moment wait for one encoding instead of
    /// each making their own.
    package func value(variant: Int, _ encode: () -> ByteBuffer?) -> ByteBuffer? {
        slot.withLock { stored in
            if let stored, stored.variant == variant { return stored.bytes }
            let bytes = encode()
            if stored == nil { stored = (variant, bytes) }
            return bytes
        }
    }
}
