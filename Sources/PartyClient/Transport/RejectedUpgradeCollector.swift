import NIOCore
import NIOHTTP1

/// Collects the response to an upgrade request that the server refused (any status but 101):
/// its status and up to `limit` bytes of body, then closes the connection.
package final class RejectedUpgradeCollector: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<(status: Int, body: String)>
    private let limit: Int
    private var status = 0
    private var body: ByteBuffer

    /// Adds a collector to `channel` (whose upgrade was refused); the future completes with the
    /// response's status and body.
    package static func collect(on channel: any Channel) throws -> EventLoopFuture<(status: Int, body: String)> {
        let response = channel.eventLoop.makePromise(of: (status: Int, body: String).self)
        do {
            try channel.pipeline.syncOperations.addHandler(RejectedUpgradeCollector(promise: response))
        } catch {
            response.fail(error)
            throw error
        }
        return response.futureResult
    }

    /// Completes `promise` with the response once it ended or the connection closed.
    package init(promise: EventLoopPromise<(status: Int, body: String)>, limit: Int = 4_096) {
        self.promise = promise
        self.limit = limit
        self.body = ByteBuffer()
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(var part):
            let room = max(0, limit - body.readableBytes)
            if let slice = part.readSlice(length: min(room, part.readableBytes)) { body.writeImmutableBuffer(slice) }
        case .end:
            finish(context: context)
        }
    }

    package func channelInactive(context: ChannelHandlerContext) {
        finish(context: context)
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(context: context)
    }

    private func finish(context: ChannelHandlerContext) {
        promise.succeed((status, String(decoding: body.readableBytesView, as: UTF8.self)))
        context.close(promise: nil)
    }
}
