/// Why `partyserver serve` stopped with an error once its options were valid.
struct ServeError: Error, CustomStringConvertible {
    /// The address the server tried to serve on.
    var address: String
    /// What went wrong (for example the port is already in use).
    var underlying: any Error

    /// `could not serve on HOST:PORT: ERROR`.
    var description: String {
        "could not serve on \(address): \(underlying)"
    }
}
