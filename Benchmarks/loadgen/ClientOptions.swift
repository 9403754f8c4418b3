import ArgumentParser
import NIOCore

/// Options every scenario shares: where to connect and how hard the load generator may work.
struct ClientOptions: ParsableArguments {
    @Option(help: "Room URL; {i} is replaced by the room index (ws:// on a loopback address only).")
    var url: String

    @Option(help: "Connection attempts in flight at once.")
    var concurrency: Int = 256

    @Option(help: "Event loop threads of the load generator (one per core by default).")
    var threads: Int = System.coreCount

    @Flag(help: "Offer permessage-deflate (as browsers do) and inflate the compressed messages that arrive.")
    var deflate = false

    /// Checks the shared options; `rooms` decides whether the URL needs `{i}`.
    func validate(rooms: Int) throws {
        do {
            _ = try TargetURL(url)
        } catch {
            throw ValidationError("--url: \(error)")
        }
        if rooms > 1, !url.contains("{i}") {
            throw ValidationError("--url needs {i} (the room index) when --rooms is more than 1")
        }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}
