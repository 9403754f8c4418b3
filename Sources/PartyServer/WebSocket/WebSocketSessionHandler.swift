import Foundation
import Logging
import NIOCore
import NIOWebSocket

/// Serves one accepted WebSocket on its channel's event loop, last in the pipeline: hands the
/// frames it reads to the session's room side (`SessionWork`, which reads them off the event
/// loop) in order, holds reads back while the room is behind, writes the connection's queued
/// frames when told there are some (pausing while the socket is not writable), and closes the
/// channel once both the room and the writer are done with the connection.
///
/// It also keeps what would otherwise take two more handlers per connection: the framing rules
/// (`FramingState`: a frame the decoder rejected becomes a `FramingError`, nothing follows a
/// close frame) and the liveness record (`ConnectionActivity`: a frame arrived; reads are
/// held back because the room is busy, so the sweeper does not take the peer for silent).
final class WebSocketSessionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = Never
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let connection: Connection
    private let work: SessionWork
    private let compression: ConnectionCompression?
    private let activity: ConnectionActivity
    private var context: ChannelHandlerContext?
    private var framing = FramingState()

    /// Nothing more will be read, and the room was told.
    private var inputEnded = false
    /// A read is held back until the room catches up.
    private var readHeld = false
    /// The socket is not writable: queued frames wait for it.
    private var awaitingWritability = false
    /// The writer put everything on the wire and nothing will follow.
    private var writerDone = false
    /// The room is done with the connection: the channel closes once the writer is done too.
    private var roomDone = false

    init(connection: Connection, work: SessionWork, compression: ConnectionCompression?, activity: ConnectionActivity) {
        self.connection = connection
        self.work = work
        self.compression = compression
        self.activity = activity
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        // The channel is gone: let the connection (which may outlive it, held for a
        // reconnection window) no longer reach this handler.
        work.detach()
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !framing.failed else { return }
        activity.markActive()
        guard !inputEnded else { return }
        work.post(.frame(unwrapInboundIn(data)))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Until the next read is let through, the channel reads nothing from the peer.
        activity.isReadPaused = true
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = framing.report(error) else { return }
        switch error {
        case let error as FramingError:
            work.post(.framingError(error))
        case let error as KeepAliveTimeout:
            guard !inputEnded else { return }
            inputEnded = true
            work.post(.timeout(error))
        default:
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        writerDone = true
        endInput()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The peer shut its side (the server allows half-closed connections): nothing more comes.
        if case .inputClosed? = event as? ChannelEvent { endInput() }
        context.fireUserInboundEventTriggered(event)
    }

    private func endInput() {
        guard !inputEnded else { return }
        inputEnded = true
        work.post(.inputEnded)
    }

    func read(context: ChannelHandlerContext) {
        if work.inbox.shouldHoldReads() {
            readHeld = true
            return
        }
        activity.isReadPaused = false
        context.read()
    }

    /// The room caught up: lets a held read through.
    func resumeReads() {
        guard readHeld, let context else { return }
        readHeld = false
        activity.isReadPaused = false
        context.read()
    }

    // MARK: Writing

    /// A frame written by another part of the server (a keep-alive ping, a close).
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard framing.mayWrite(unwrapOutboundIn(data).opcode) else {
            // The closing handshake has started: nothing may follow our close frame.
            promise?.succeed()
            return
        }
        context.write(data, promise: promise)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if awaitingWritability, context.channel.isWritable {
            awaitingWritability = false
            writeQueued()
        }
        context.fireChannelWritabilityChanged()
    }

    /// Writes every frame the connection queued, with one flush; once the connection's writer is
    /// finished, shuts the output and, when the room is done too, closes the channel.
    func writeQueued() {
        guard let context, !writerDone else { return }
        guard context.channel.isWritable else {
            // The connection is not told again until this takes its frames: nothing is lost.
            awaitingWritability = true
            return
        }
        let finished = connection.takeOutbound { frames in
            while let frame = frames.next() {
                let out = webSocketFrame(frame)
                guard framing.mayWrite(out.opcode) else { continue }
                context.write(wrapOutboundOut(out), promise: nil)
            }
            context.flush()
        }
        if finished {
            writerDone = true
            context.close(mode: .output, promise: nil)
            if roomDone { context.close(promise: nil) }
        }
    }

    /// The room ran `onClose` (or held the connection): closes the channel once the writer is done.
    func roomFinished() {
        roomDone = true
        guard let context else { return }
        guard writerDone else {
            // Frames still wait for a socket that does not drain (a peer that stopped reading):
            // the close timeout bounds how long.
            connection.transport.connectionDidStartClosing(urgent: nil)
            return
        }
        context.close(promise: nil)
    }

    private func webSocketFrame(_ frame: OutboundFrame) -> WebSocketFrame {
        if let compression { return frame.webSocketFrame(compressedBy: compression) }
        return frame.webSocketFrame
    }
}
