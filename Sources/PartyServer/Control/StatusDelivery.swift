/// A status event for a stream, or the end of a stream, decided under the room directory's lock
/// and handed to the stream after that lock is released (see `RoomDirectory.withState`).
enum StatusDelivery {
    case yield(AsyncStream<RoomStatusEvent>.Continuation, RoomStatusEvent)
    case finish(AsyncStream<RoomStatusEvent>.Continuation)

    /// Hands the event to its stream, or ends it.
    func deliver() {
        switch self {
        case .yield(let continuation, let event): continuation.yield(event)
        case .finish(let continuation): continuation.finish()
        }
    }
}
