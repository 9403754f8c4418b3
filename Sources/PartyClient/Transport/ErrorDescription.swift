import NIOCore
import NIOHTTP1
import NIOPosix

/// Short descriptions of NIO's errors for ``PartySocketError`` details.
enum ErrorDescription {
    /// The most useful part of `error`: the first connect failure rather than the whole report.
    static func of(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return "\(first.error)" }
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "the host name did not resolve (\(dns))" }
        }
        if case ChannelError.connectTimeout = error { return "the TCP connect timed out" }
        return "\(error)"
    }
}
