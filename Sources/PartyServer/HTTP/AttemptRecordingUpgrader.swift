import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Wraps the WebSocket upgrader to remember that an upgrade was attempted, so a handshake the
/// upgrader refuses (wrong version, missing key) gets a clear HTTP answer instead of a dropped
/// connection.
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
        return inner.buildUpgradeResponse(channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        inner.upgrade(channel: channel, upgradeRequest: upgradeRequest)
    }
}
