import DequeModule
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle

/// Serves one accepted WebSocket: wakes the room, registers the connection, feeds frames to the
/// room's hooks in order, drains the outbound queue, and completes the closing handshake.
struct WebSocketSession: Sendable {
    let registry: RoomRegistry
    let registration: ServerRegistration
    let roomName: String
    let request: Request
    let connectionID: String
    let configuration: PartyConfiguration
    /// The connection's place in its room's count, released when the session ends.
    let ticket: AdmissionTicket
    /// permessage-deflate, when the handshake negotiated it.
    var compression: ConnectionCompression?

    /// How the connection ended, for `onClose`.
    private struct Ending {
        var code: Int
        var reason: String
        var wasClean: Bool
        static let abnormal = Ending(code: CloseCode.abnormal, reason: "", wasClean: false)
    }

    func run(_ asyncChannel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) async {
        defer { ticket.release() }
        let slot = registry.checkOut(registration, name: roomName)
        defer { registry.checkIn(slot) }
        let transport = ChannelTransport(channel: asyncChannel.channel, closeTimeout: configuration.closeTimeout)
        let connection = Connection(
            id: connectionID,
            uri: request.uri,
            room: slot.room,
            user: request.user,
            limits: configuration.connectionLimits,
            transport: transport
        )
        do {
            try await asyncChannel.executeThenClose { inbound, outbound in
                await withDiscardingTaskGroup { group in
                    let compression = self.compression
                    group.addTask {
                        await Self.write(connection, to: outbound, compression: compression)
                    }
                    await withGracefulShutdownHandler {
                        await self.read(connection, slot: slot, from: inbound)
                    } onGracefulShutdown: {
                        // A node leaving a cluster: its rooms move, so clients reconnect (1012).
                        if configuration.cluster == nil {
                            connection.close(code: CloseCode.goingAway, reason: "server shutting down")
                        } else {
                            connection.close(code: CloseCode.serviceRestart, reason: "server shutting down; reconnect")
                        }
                    }
                }
            }
        } catch {
            connection.logger.trace("channel closed with error", metadata: ["error": "\(error)"])
        }
        connection.markClosed()
    }

    /// Drains the connection's queue onto the wire, one flush per batch, compressing messages
    /// when permessage-deflate was negotiated.
    private static func write(
        _ connection: Connection,
        to outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>,
        compression: ConnectionCompression?
    ) async {
        var batch = Deque<OutboundFrame>()
        while await connection.takeOutbound(&batch) {
            do {
                if let compression {
                    try await outbound.write(contentsOf: batch.lazy.map { $0.webSocketFrame(compressedBy: compression) })
                } else {
                    try await outbound.write(contentsOf: batch.lazy.map(\.webSocketFrame))
                }
            } catch {
                connection.markClosed()
                break
            }
            batch.removeAll(keepingCapacity: true)
        }
        outbound.finish()
    }

    private func read(_ connection: Connection, slot: RoomSlot, from inbound: NIOAsyncChannelInboundStream<WebSocketFrame>) async {
        let driver = ConnectionDriver(slot: slot, connection: connection, context: ConnectionContext(request: request))
        var iterator = inbound.makeAsyncIterator()
        guard await driver.open() else {
            await receive(driver, iterator: &iterator)
            connection.finishWriting()
            return
        }
        let ending = await receive(driver, iterator: &iterator)
        if let window = registration.options.reconnectionWindow, !ending.wasClean, ending.code == CloseCode.abnormal, !connection.isDropped {
            // The peer vanished: its place is kept (and the room in memory) for the window.
            let keeper = registry.checkOut(registration, name: roomName)
            let registry = self.registry
            await driver.drop(code: ending.code, reason: ending.reason, window: window) { registry.checkIn(keeper) }
            return
        }
        await driver.close(code: ending.code, reason: ending.reason, wasClean: ending.wasClean)
    }

    /// The ending of a connection whose peer went away without a close frame; logs it once.
    private func vanished(_ connection: Connection) -> Ending {
        connection.logger.debug("connection ended without a close frame")
        return .abnormal
    }

    /// Reads frames until the closing handshake completes or the peer vanishes.
    @discardableResult
    private func receive(_ driver: ConnectionDriver, iterator: inout NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator) async -> Ending {
        let connection = driver.connection
        var processor = InboundFrameProcessor(maxMessageSize: configuration.maxMessageSize, inflater: compression?.inflater)
        var failure: Ending?
        let clock = configuration.connectionClock
        let rate = configuration.limits.messageRate
        var budget = rate.map { TokenBucket($0, now: clock.now) }
        while true {
            let frame: WebSocketFrame
            do {
                guard let next = try await iterator.next() else { return failure ?? vanished(connection) }
                frame = next
            } catch let error as FramingError {
                // Nothing more can be read: close (unless a violation before it already did), then
                // wait, bounded by the close timeout, for the peer to hang up.
                if let failure {
                    try? await connection.transport.closed()
                    return failure
                }
                connection.logger.info("closing connection after a framing error", metadata: ["code": "\(error.code)", "reason": "\(error)"])
                connection.startClosing(code: error.code, reason: error.description)
                connection.transport.connectionDidStartClosing(urgent: nil)
                await driver.reportProtocolError(code: error.code, reason: error.description)
                try? await connection.transport.closed()
                return Ending(code: error.code, reason: error.description, wasClean: false)
            } catch let timeout as KeepAliveTimeout {
                connection.logger.info("closed a silent connection", metadata: ["reason": "\(timeout)"])
                return failure ?? Ending(code: CloseCode.abnormal, reason: timeout.description, wasClean: false)
            } catch {
                return failure ?? vanished(connection)
            }
            let action = processor.process(frame)
            if failure == nil, action.takesToken, budget?.take(now: clock.now) == false, let rate {
                // Close with 1008 and keep reading (and discarding) until the peer answers.
                let reason = "rate limit: at most \(rate.perSecondText) messages per second"
                connection.logger.info("closing connection over the message rate limit", metadata: ["limit": "messageRate", "burst": "\(rate.burst)"])
                connection.startClosing(code: CloseCode.policyViolation, reason: reason)
                failure = Ending(code: CloseCode.policyViolation, reason: reason, wasClean: false)
                await driver.reportProtocolError(code: CloseCode.policyViolation, reason: reason)
                continue
            }
            switch action {
            case .none:
                continue
            case .message(let message):
                await driver.deliver(message)
            case .ping(let payload):
                connection.enqueueControl(OutboundFrame(kind: .pong, data: payload), finishing: false)
            case .close(let code, let reason):
                if let failure { return failure }
                if connection.status == .open {
                    let echo = code.map { OutboundFrame.close(code: $0, reason: "") } ?? OutboundFrame(kind: .close, data: ByteBuffer())
                    connection.enqueueControl(echo, finishing: true)
                    connection.transport.connectionDidStartClosing(urgent: nil)
                }
                return Ending(code: code ?? CloseCode.noStatus, reason: reason, wasClean: true)
            case .fail(let code, let reason):
                // Close with `code`, then keep reading (and discarding) until the peer answers.
                guard failure == nil else { continue }
                connection.logger.info("closing connection after a protocol violation", metadata: ["code": "\(code)", "reason": "\(reason)"])
                connection.startClosing(code: code, reason: reason)
                failure = Ending(code: code, reason: reason, wasClean: false)
                await driver.reportProtocolError(code: code, reason: reason)
            }
        }
    }
}
