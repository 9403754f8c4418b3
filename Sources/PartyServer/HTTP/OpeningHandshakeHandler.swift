import NIOCore
import NIOWebSocket

/// The only handler of a new connection until its first request head is read. When that head is
/// a plain, well-formed WebSocket upgrade (`UpgradeRequestHead`) that its room accepts, it
/// writes the 101 and puts the frame codec and the session in its place: the connection never
/// has an HTTP handler. Anything else (a plain request, an unusual or malformed head, a refusal,
/// a relay, a connection over the limit) gets the full HTTP pipeline behind it, with the
/// decision when one was made, and the bytes read so far, replayed; then it leaves.
///
/// On the channel's event loop.
final class OpeningHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What the decision made of a well-formed upgrade.
    enum Outcome: Sendable {
        /// Accepted: serve it here, answering with these extension headers (permessage-deflate).
        case accept(WebSocketSession, extensions: String?)
        /// Anything else: the HTTP pipeline answers it, with this decision (nil: it decides).
        case passOn(PartyFront.UpgradeDecision?)
    }

    /// What this handler serves.
    struct Setup {
        /// The largest request head read here (a larger one goes to the HTTP pipeline).
        let maxHeadSize: Int
        /// The largest frame the frame decoder accepts.
        let maxFrameSize: Int
        /// Decides a well-formed upgrade (off the event loop; the future completes on it), or
        /// passes it on at once (a connection over the limit).
        let decide: (UpgradeRequestHead) -> EventLoopFuture<Outcome>
        /// Starts the session once the pipeline carries WebSocket frames.
        let start: (WebSocketSession) throws -> Void
        /// Puts the HTTP handlers behind this one, with a decision already made (or none).
        let installHTTP: (PartyFront.UpgradeDecision?) throws -> Void
        /// The connection ended (or failed) before either path took it.
        let failed: (any Error) -> Void
        /// Marks that part of a request head was read (the liveness sweeper's slowloris rule).
        let partialHead: () -> Void
    }

    private enum State {
        /// Reading the head; the bytes read so far.
        case reading(ByteBuffer?)
        /// The head is being decided; bytes that follow it (frames sent early) wait here.
        case deciding(ByteBuffer, head: UpgradeRequestHead)
        /// Handed over to the session or the HTTP pipeline, or closed.
        case done
    }

    private let setup: Setup
    private var state = State.reading(nil)
    /// The peer shut its side while its head was read or decided: whoever takes the connection
    /// is told after the bytes.
    private var inputClosed = false

    init(_ setup: Setup) {
        self.setup = setup
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        switch state {
        case .reading(var buffer?):
            state = .done  // lets go of the buffer, so that appending does not copy it
            buffer.writeBuffer(&bytes)
            read(buffer, context: context)
        case .reading(nil):
            read(bytes, context: context)
        case .deciding(var buffer, let head):
            state = .done
            buffer.writeBuffer(&bytes)
            state = .deciding(buffer, head: head)
        case .done:
            context.fireChannelRead(data)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .reading(_?) = state { setup.partialHead() }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, event == .inputClosed else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch state {
        case .reading(let buffer):
            // A head cut off: the HTTP decoder reports it as before (one debug line, no answer).
            inputClosed = true
            handOver(buffer, decision: nil, context: context)
        case .deciding:
            inputClosed = true
        case .done:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .done = state {
            context.fireChannelInactive()
            return
        }
        // The peer left before its request was decided: a decision still to come is dropped
        // (with its seat).
        state = .done
        setup.failed(ChannelError.eof)
        context.fireChannelInactive()
    }

    private func read(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        switch UpgradeRequestHead.parse(buffer, maxSize: setup.maxHeadSize) {
        case .incomplete:
            state = .reading(buffer)
        case .other:
            handOver(buffer, decision: nil, context: context)
        case .upgrade(let head):
            state = .deciding(buffer, head: head)
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            setup.decide(head).whenComplete { result in
                let (handler, context) = loopBound.value
                handler.decided(result, context: context)
            }
        }
    }

    private func decided(_ result: Result<Outcome, any Error>, context: ChannelHandlerContext) {
        guard case .deciding(let buffer, let head) = state else { return }
        switch result {
        case .success(.accept(let session, let extensions)):
            serve(session, extensions: extensions, head: head, buffer: buffer, context: context)
        case .success(.passOn(let decision)):
            handOver(buffer, decision: decision, context: context)
        case .failure:
            handOver(buffer, decision: nil, context: context)
        }
    }

    /// Answers 101 and swaps this handler for the frame codec and the session.
    private func serve(_ session: WebSocketSession, extensions: String?, head: UpgradeRequestHead, buffer: ByteBuffer, context: ChannelHandlerContext) {
        state = .done
        do {
            let key = head.fields[.secWebSocketKey] ?? ""
            var response = context.channel.allocator.buffer(capacity: 160)
            response.writeStaticString("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-accept: ")
            response.writeString(DirectUpgradeHandler.acceptValue(for: key))
            if let extensions {
                response.writeStaticString("\r\nsec-websocket-extensions: ")
                response.writeString(extensions)
            }
            response.writeStaticString("\r\n\r\n")
            context.writeAndFlush(wrapOutboundOut(response), promise: nil)
            let operations = context.pipeline.syncOperations
            try operations.addHandlers(
                [ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: setup.maxFrameSize)), WebSocketFrameEncoder()],
                position: .after(self)
            )
            try setup.start(session)
            // Frames the client sent before the 101 go on to the frame decoder.
            let early = buffer.getSlice(at: buffer.readerIndex + head.length, length: buffer.readableBytes - head.length)
            if let early, early.readableBytes > 0 {
                context.fireChannelRead(wrapInboundOut(early))
                context.fireChannelReadComplete()
            }
            if inputClosed { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
            operations.removeHandler(context: context, promise: nil)
        } catch {
            // The channel went away in between: the session never started (its seat goes with it).
            setup.failed(error)
            context.close(promise: nil)
        }
    }

    /// Puts the HTTP pipeline behind this handler, replays what was read into it, and leaves.
    private func handOver(_ buffer: ByteBuffer?, decision: PartyFront.UpgradeDecision?, context: ChannelHandlerContext) {
        state = .done
        do {
            try setup.installHTTP(decision)
        } catch {
            setup.failed(error)
            context.close(promise: nil)
            return
        }
        if let buffer {
            context.fireChannelRead(wrapInboundOut(buffer))
            context.fireChannelReadComplete()
        }
        if inputClosed { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
