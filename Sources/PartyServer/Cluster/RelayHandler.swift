import CoreMetrics
import Logging
import NIOCore
import NIOWebSocket

/// One end of a relayed WebSocket, in the pipeline of the client's channel or of the channel to
/// the room's owner (both on one event loop): every frame read is written to the other end, with
/// one flush per read burst, and this end reads only while the other end is writable
/// (backpressure, as NIO's proxy examples glue two channels).
///
/// Frames towards the owner are masked, as a client's must be. The owner's end keeps what arrives
/// before the client's end is attached (the owner's first messages). When the owner's connection
/// ends without a close frame (its node died), the client gets 1012 and reconnects.
final class RelayHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Which connection this end reads.
    enum Side {
        /// The client's: its frames go to the owner, masked.
        case client
        /// The owner's: its frames go to the client.
        case owner
    }

    /// Most frames kept before the client's end is attached.
    static let maxEarlyFrames = 4096

    private let side: Side
    private let frames: Counter
    private let logger: Logger
    private var context: ChannelHandlerContext?
    private var partner: RelayHandler?
    /// Frames read before the other end was attached.
    private var early: [WebSocketFrame] = []
    private var pendingRead = false
    /// This end's connection ended before the other end was attached.
    private var endedEarly = false
    /// The owner sent a close frame (its close reaches the client as it is).
    private var sawClose = false

    init(side: Side, frames: Counter, logger: Logger) {
        self.side = side
        self.frames = frames
        self.logger = logger
    }

    /// Glues `client` (the client's end) to `owner` (the owner's end); on their common event loop.
    static func glue(client: RelayHandler, owner: RelayHandler) {
        client.partner = owner
        owner.partner = client
        for frame in owner.early { client.write(frame) }
        owner.early = []
        client.flush()
        if owner.endedEarly { owner.ended() }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if frame.opcode.isData { frames.increment() }
        if side == .owner && frame.opcode == .connectionClose { sawClose = true }
        let relayed =
            switch side {
            case .client: WebSocketFrame(fin: frame.fin, rsv1: false, opcode: frame.opcode, maskKey: .random(), data: frame.unmaskedData)
            case .owner: WebSocketFrame(fin: frame.fin, rsv1: false, opcode: frame.opcode, data: frame.data)
            }
        guard let partner else {
            // The client's upgrade did not complete in time: give up on the hop to the owner.
            guard early.count < Self.maxEarlyFrames else { return context.close(promise: nil) }
            early.append(relayed)
            return
        }
        partner.write(relayed)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.flush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if partner == nil { endedEarly = true } else { ended() }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        partner?.partnerWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if partner?.isWritable ?? true {
            context.read()
        } else {
            pendingRead = true
        }
    }

    // MARK: Called by the other end

    private var isWritable: Bool { context?.channel.isWritable ?? false }

    private func write(_ frame: WebSocketFrame) {
        context?.write(wrapOutboundOut(frame), promise: nil)
    }

    private func flush() {
        context?.flush()
    }

    private func partnerWritabilityChanged(_ writable: Bool) {
        guard writable, pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }

    /// This end's connection ended: the other end's ends too (the client's after a 1012 close
    /// frame when the owner went away without one).
    private func ended() {
        guard let partner, let context = partner.context else { return }
        if side == .owner && !sawClose {
            logger.info("the room's owner node closed a relayed connection without a close frame")
            let close = RelaySession.closeFrame(code: 1012, reason: "the room's node went away; reconnect")
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
    }
}
