import ArgumentParser
import PartyServer

/// The `serve` options for the most often tuned limits; the others keep their defaults.
struct LimitOptions: ParsableArguments {
    @Option(help: "Most open TCP connections (HTTP and WebSocket); requests over it get 503. Lowered to fit the open-file limit.")
    var maxConnections = 50_000

    @Option(help: "Most WebSockets per room; upgrades over it get 503.")
    var maxConnectionsPerRoom = 10_000

    @Option(help: ArgumentHelp("Messages per second a client may send on one WebSocket, in bursts of twice that; over it closes with 1008. 0 turns the limit off.", valueName: "per-second"))
    var messageRate: Double = 1000

    @Option(help: ArgumentHelp("Largest WebSocket message a client may send, in bytes (after decompression); larger closes with 1009.", valueName: "bytes"))
    var maxMessageSize = 1 << 20

    @Flag(inversion: .prefixedNo, help: "Compress WebSocket messages of 256 bytes or more with permessage-deflate for clients that offer it.")
    var compression = true

    @Option(help: ArgumentHelp("Smallest WebSocket message, in bytes, the server compresses for clients that negotiated permessage-deflate.", valueName: "bytes"))
    var compressionMinimumSize = 256

    @Option(help: ArgumentHelp("Quiet seconds before a WebSocket is pinged; one that does not answer within 10 s is closed. 0 turns pings off.", valueName: "seconds"))
    var pingInterval: Double = 30

    /// Rejects values the server cannot use, naming the option.
    func validate() throws {
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1, got \(maxConnections)") }
        guard maxConnectionsPerRoom >= 1 else {
            throw ValidationError("--max-connections-per-room must be at least 1, got \(maxConnectionsPerRoom)")
        }
        guard messageRate >= 0, messageRate.isFinite else {
            throw ValidationError("--message-rate must be a number of messages per second, 0 or more, got \(messageRate)")
        }
        guard (125...(1 << 30)).contains(maxMessageSize) else {
            throw ValidationError("--max-message-size must be a number of bytes from 125 to 1073741824, got \(maxMessageSize)")
        }
        guard compressionMinimumSize >= 1 else {
            throw ValidationError("--compression-minimum-size must be at least 1 byte, got \(compressionMinimumSize)")
        }
        guard pingInterval >= 0, pingInterval <= 86_400 else {
            throw ValidationError("--ping-interval must be a number of seconds from 0 to 86400, got \(pingInterval)")
        }
    }

    /// Sets these limits in `configuration`.
    func apply(to configuration: inout PartyConfiguration) {
        configuration.limits.maxConnections = maxConnections
        configuration.limits.maxConnectionsPerRoom = maxConnectionsPerRoom
        configuration.maxMessageSize = maxMessageSize
        configuration.compression = compression ? PerMessageDeflate(minimumSize: compressionMinimumSize) : nil
        configuration.limits.messageRate = messageRate > 0 ? MessageRate(perSecond: messageRate, burst: max(1, Int((messageRate * 2).rounded(.up)))) : nil
        if pingInterval > 0 {
            configuration.keepAlive?.pingInterval = .milliseconds(Int64((pingInterval * 1000).rounded()))
        } else {
            configuration.keepAlive = nil
        }
    }
}
