/// Thrown to an event whose room's activation ended while it waited (a hard termination released
/// the room while it started, or a spawn was terminated before it started).
struct ActivationEnded: Error, CustomStringConvertible {
    var description: String { "the room's activation ended before it was ready; try again" }
}
