import NIOCore

/// One accepted WebSocket, as the upgrade decided it: the room, the request, the connection id and
/// the connection's place under the limits. `start(on:sessions:)` serves it on its channel: the
/// event loop reads and writes (`WebSocketSessionHandler`) and the room's side, which reads the
/// frames and runs the hooks, runs on a task only while there is work (`SessionWork`), so a
/// connection nobody talks to costs its channel and its `Connection`, and no task.
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

    /// How a connection ended, for `onClose`.
    struct Ending: Sendable {
        var code: Int
        var reason: String
        var wasClean: Bool
        static let abnormal = Ending(code: CloseCode.abnormal, reason: "", wasClean: false)
    }

    /// Starts serving the connection on `channel`, whose pipeline holds the WebSocket frame
    /// decoder and encoder: adds the session's handler last (it records reads in `activity`) and
    /// hands the room the connection to open. On the channel's event loop.
    func start(on channel: any Channel, sessions: WebSocketSessions, activity: ConnectionActivity) throws {
        let slot = registry.checkOut(registration, name: roomName)
        let handlerBox = NIOLoopBoundBox<WebSocketSessionHandler?>(nil, eventLoop: channel.eventLoop)
        let transport = ChannelTransport(channel: channel, handler: handlerBox, closeTimeout: configuration.closeTimeout)
        let connection = Connection(
            id: connectionID,
            uri: request.uri,
            room: slot.room,
            user: request.user,
            limits: configuration.connectionLimits,
            transport: transport
        )
        let work = SessionWork(
            driver: ConnectionDriver(slot: slot, connection: connection),
            reader: SessionReader(
                processor: InboundFrameProcessor(maxMessageSize: configuration.maxMessageSize, inflater: compression?.inflater),
                rate: configuration.limits.messageRate,
                clock: configuration.connectionClock
            ),
            registry: registry,
            reconnectionWindow: registration.options.reconnectionWindow,
            ticket: ticket,
            sessions: sessions,
            channel: channel,
            handler: handlerBox
        )
        let handler = WebSocketSessionHandler(connection: connection, work: work, compression: compression, activity: activity)
        do {
            try channel.pipeline.syncOperations.addHandler(handler)
        } catch {
            // The peer left during the upgrade: the room never learns of the connection.
            registry.checkIn(slot)
            ticket.release()
            throw error
        }
        handlerBox.value = handler
        let shutdown = sessions.add(connection)
        work.post(.open(ConnectionContext(request: request)))
        if let shutdown {
            // The server began shutting down while this connection was upgrading.
            connection.close(code: shutdown.code, reason: shutdown.reason)
        }
    }
}
