import CoreMetrics
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle

/// Relays one client WebSocket to the room's owner node, frame by frame, both ways, by gluing the
/// two channels' pipelines (`RelayHandler`, on the client's event loop: no task hop per frame,
/// one flush per read burst, backpressure through readability).
///
/// Every frame passes through as it is, pings and pongs included (the owner's keep-alive sees the
/// client), re-masked towards the owner; close frames carry their code and reason through, so
/// both ends see the close the other sent. When either connection ends, so does the other; when
/// the owner's ends without a close frame (its node died), the client gets 1012 and reconnects.
struct RelaySession: Sendable {
    /// The connection to the owner, already upgraded.
    let upstream: any Channel
    /// The owner's end of the relay, in `upstream`'s pipeline.
    let ownerEnd: NIOLoopBound<RelayHandler>
    /// The room, for logs.
    let room: String
    /// The owner node's id, for logs.
    let owner: String
    let logger: Logger
    let frames: Counter

    /// Glues the client's upgraded channel to the owner's; on the client's event loop, which
    /// `upstream` shares, as the client's upgrade completes.
    func attach(client: any Channel) throws {
        guard client.eventLoop === upstream.eventLoop else {
            upstream.close(promise: nil)
            throw ChannelError.inappropriateOperationForState
        }
        let clientEnd = RelayHandler(side: .client, frames: frames, logger: logger)
        try client.pipeline.syncOperations.addHandler(clientEnd)
        RelayHandler.glue(client: clientEnd, owner: ownerEnd.value)
    }

    /// Waits until both connections are closed; this node leaving closes the hop to the owner,
    /// so the client gets 1012 and reconnects.
    func run(_ client: any Channel) async {
        let upstream = self.upstream
        await withGracefulShutdownHandler {
            try? await client.closeFuture.get()
            try? await upstream.closeFuture.get()
        } onGracefulShutdown: {
            upstream.close(promise: nil)
        }
        logger.trace("relay ended", metadata: ["room": "\(room)", "owner": "\(owner)"])
    }

    /// A close frame from the server side (unmasked).
    static func closeFrame(code: UInt16, reason: String) -> WebSocketFrame {
        var payload = ByteBuffer()
        payload.writeInteger(code)
        payload.writeString(reason)
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
    }
}

extension WebSocketOpcode {
    /// Whether frames of this opcode carry a message (text, binary, continuation).
    var isData: Bool { self == .text || self == .binary || self == .continuation }
}
