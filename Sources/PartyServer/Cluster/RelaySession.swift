import CoreMetrics
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle

/// Relays one client WebSocket to the room's owner node, frame by frame, both ways.
///
/// Every frame passes through as it is, pings and pongs included (the owner's keep-alive sees the
/// client), re-masked towards the owner; close frames carry their code and reason through, so
/// both ends see the close the other sent. Each direction writes before reading more, so a slow
/// reader on one side holds the other side's reads (backpressure). When the owner's connection
/// ends without a close frame (its node died), the client gets 1012 and reconnects.
struct RelaySession: Sendable {
    /// The connection to the owner, already upgraded.
    let upstream: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
    /// The room, for logs.
    let room: String
    /// The owner node's id, for logs.
    let owner: String
    let logger: Logger
    let frames: Counter

    /// Relays until both sides closed or either connection ended.
    func run(_ client: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) async {
        do {
            try await client.executeThenClose { clientInbound, clientOutbound in
                try await upstream.executeThenClose { upstreamInbound, upstreamOutbound in
                    // This node is leaving: end the hop to the owner, so the client gets 1012 and reconnects.
                    await withGracefulShutdownHandler {
                        await withTaskGroup(of: Void.self) { group in
                            group.addTask {
                                // Client to owner: masked, as a client's frames must be.
                                do {
                                    for try await frame in clientInbound {
                                        try await upstreamOutbound.write(WebSocketFrame(
                                            fin: frame.fin, rsv1: false, opcode: frame.opcode, maskKey: .random(), data: frame.unmaskedData
                                        ))
                                        if frame.opcode.isData { frames.increment() }
                                    }
                                } catch {
                                    logger.trace("client side of a relay ended", metadata: ["error": "\(error)"])
                                }
                                // The client is gone: so is its connection to the owner.
                                upstreamOutbound.finish()
                            }
                            group.addTask {
                                var closed = false
                                do {
                                    for try await frame in upstreamInbound {
                                        try await clientOutbound.write(WebSocketFrame(fin: frame.fin, rsv1: false, opcode: frame.opcode, data: frame.data))
                                        if frame.opcode == .connectionClose { closed = true }
                                        if frame.opcode.isData { frames.increment() }
                                    }
                                } catch {
                                    logger.trace("owner side of a relay ended", metadata: ["error": "\(error)"])
                                }
                                if !closed {
                                    logger.info("the room's owner node closed a relayed connection without a close frame", metadata: ["room": "\(room)", "owner": "\(owner)"])
                                    try? await clientOutbound.write(Self.closeFrame(code: 1012, reason: "the room's node went away; reconnect"))
                                }
                                clientOutbound.finish()
                            }
                            // Once either side is done, the other has nothing left to relay.
                            await group.next()
                            group.cancelAll()
                        }
                    } onGracefulShutdown: {
                        upstream.channel.close(promise: nil)
                    }
                }
            }
        } catch {
            logger.debug("relay ended with an error", metadata: ["room": "\(room)", "error": "\(error)"])
        }
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
