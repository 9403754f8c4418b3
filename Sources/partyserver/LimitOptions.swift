import ArgumentParser
import PartyServer

/// The `serve` options for the most often tuned limits; the others keep their defaults.
struct LimitOptions: ParsableArguments {
    @Option(help: "Most open TCP connections (HTTP and WebSocket); requests over it get 503. Lowered to fit the open-file limit.")
    var maxConnections = 50_000

    @Option(help: "Most WebSockets per room; upgrades over it get 503.")
    var maxConnectionsPerRoom = 10_000

    @Option(help: ArgumentHelp("Messages per second a client may send on one WebSocket, in bursts of twice that; over it closes with 1008. 0 turns the limit off.", valueName: "per-second"))
    var messageRate: Double = 100

    /// Rejects values the server cannot use, naming the option.
    func validate() throws {
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1, got \(maxConnections)") }
        guard maxConnectionsPerRoom >= 1 else {
            throw ValidationError("--max-connections-per-room must be at least 1, got \(maxConnectionsPerRoom)")
        }
        guard messageRate >= 0, messageRate.isFinite else {
            throw ValidationError("--message-rate must be a number of messages per second, 0 or more, got \(messageRate)")
        }
    }

    /// Sets these limits in `configuration`.
    func apply(to configuration: inout PartyConfiguration) {
        configuration.limits.maxConnections = maxConnections
        configuration.limits.maxConnectionsPerRoom = maxConnectionsPerRoom
        configuration.limits.messageRate = messageRate > 0 ? MessageRate(perSecond: messageRate, burst: max(1, Int((messageRate * 2).rounded(.up)))) : nil
    }
}
