import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Wraps the WebSocket upgrader to remember that an upgrade was attempted, so a handshake the
/// upgrader refuses (wrong version, missing key, or a rule of `HandshakeCheck`) gets a clear
/// HTTP answer instead of a dropped connection or an upgrade it should not get.
struct AttemptRecordingUpgrader<UpgradeResult: Sendable>: NIOTypedHTTPServerProtocolUpgrader, Sendable {
    let inner: NIOTypedWebSocketServerUpgrader<UpgradeResult>
    let attempted: NIOLockedValueBox<HTTPRequestHead?>

    var supportedProtocol: String { inner.supportedProtocol }
    var requiredUpgradeHeaders: [String] { inner.requiredUpgradeHeaders }

    func buildUpgradeResponse(
        channel: any Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        attempted.withLockedValue { $0 = upgradeRequest }
        if HandshakeCheck.refusal(for: upgradeRequest) != nil {
            // Not upgrading: the not-upgrading handler answers with the refusal.
            return channel.eventLoop.makeFailedFuture(NIOWebSocketUpgradeError.invalidUpgradeHeader)
        }
        return inner.buildUpgradeResponse(channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        inner.upgrade(channel: channel, upgradeRequest: upgradeRequest)
    }
}
