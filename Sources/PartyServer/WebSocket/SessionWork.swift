import Logging
import NIOCore
import Synchronization

/// The room's side of one WebSocket session: takes the events its handler posts, in order, on a
/// task that exists only while events wait; reads the frames (`SessionReader`) and runs them
/// through the room's hooks (`ConnectionDriver`). When the connection ends it runs `onClose`
/// (or holds the connection for its reconnection window), lets the channel close once
/// everything queued is on the wire, and gives back the connection's places.
final class SessionWork: Sendable {
    let driver: ConnectionDriver
    let inbox = SessionInbox()
    private let registry: RoomRegistry
    private let reconnectionWindow: Duration?
    private let ticket: AdmissionTicket
    private let sessions: WebSocketSessions
    private let channel: any Channel
    private let handler: NIOLoopBoundBox<WebSocketSessionHandler?>
    /// Whether `onConnect` registered the connection with the room.
    private let registered = Atomic<Bool>(false)
    /// The connection ended: later events are ignored.
    private let ended = Atomic<Bool>(false)
    /// The frames read so far. Only the task taking events touches it (one at a time), so the
    /// lock is never contended.
    private let reader: Mutex<SessionReader>

    init(
        driver: ConnectionDriver, reader: SessionReader, registry: RoomRegistry, reconnectionWindow: Duration?,
        ticket: AdmissionTicket, sessions: WebSocketSessions, channel: any Channel, handler: NIOLoopBoundBox<WebSocketSessionHandler?>
    ) {
        self.reader = Mutex(reader)
        self.driver = driver
        self.registry = registry
        self.reconnectionWindow = reconnectionWindow
        self.ticket = ticket
        self.sessions = sessions
        self.channel = channel
        self.handler = handler
    }

    private var connection: Connection { driver.connection }

    /// The handler left the pipeline: drops the reference that would keep it (and so this
    /// session) alive from the connection's transport. On the event loop.
    func detach() {
        handler.value = nil
    }

    /// Hands the room `event`, after those posted before it; starts a task to take them when none runs.
    func post(_ event: SessionInbox.Event) {
        guard inbox.post(event) else { return }
        Task { await self.takeEvents() }
    }

    /// Takes events until the inbox is empty.
    private func takeEvents() async {
        while true {
            let (event, resumeReads) = inbox.take()
            if resumeReads {
                let handler = self.handler
                channel.eventLoop.execute { handler.value?.resumeReads() }
            }
            guard let event else { return }
            await run(event)
        }
    }

    private func run(_ event: SessionInbox.Event) async {
        if case .open(let context) = event {
            registered.store(await driver.open(context), ordering: .relaxed)
            return
        }
        guard !ended.load(ordering: .relaxed) else { return }
        switch event {
        case .open:
            return
        case .frame(let frame):
            await run(reader.withLock { $0.read(frame) })
        case .framingError(let error):
            // Nothing more can be read: close (unless a violation before it already did); the
            // connection ends when the peer hangs up or the close timeout passes.
            guard reader.withLock({ $0.framingFailed(error) }) else { return }
            connection.logger.info("closing connection after a framing error", metadata: ["code": "\(error.code)", "reason": "\(error)"])
            connection.startClosing(code: error.code, reason: error.description)
            connection.transport.connectionDidStartClosing(urgent: nil)
            await driver.reportProtocolError(code: error.code, reason: error.description)
        case .timeout(let timeout):
            connection.logger.info("closed a silent connection", metadata: ["reason": "\(timeout)"])
            let failure = reader.withLock { $0.failure }
            await end(failure ?? WebSocketSession.Ending(code: CloseCode.abnormal, reason: timeout.description, wasClean: false))
        case .inputEnded:
            if let failure = reader.withLock({ $0.failure }) {
                await end(failure)
            } else {
                connection.logger.debug("connection ended without a close frame")
                await end(.abnormal)
            }
        }
    }

    /// Carries out what reading a frame called for.
    private func run(_ step: SessionReader.Step) async {
        switch step {
        case .none:
            return
        case .deliver(let message):
            await driver.deliver(message)
        case .pong(let payload):
            connection.enqueueControl(OutboundFrame(kind: .pong, data: payload), finishing: false)
        case .violation(let code, let reason, let rateLimited):
            if rateLimited {
                let burst = reader.withLock { $0.burst } ?? 0
                connection.logger.info("closing connection over the message rate limit", metadata: ["limit": "messageRate", "burst": "\(burst)"])
            } else {
                connection.logger.info("closing connection after a protocol violation", metadata: ["code": "\(code)", "reason": "\(reason)"])
            }
            connection.startClosing(code: code, reason: reason)
            await driver.reportProtocolError(code: code, reason: reason)
        case .peerClose(let code, let reason):
            if connection.status == .open {
                let echo = code.map { OutboundFrame.close(code: $0, reason: "") } ?? OutboundFrame(kind: .close, data: ByteBuffer())
                connection.enqueueControl(echo, finishing: true)
                connection.transport.connectionDidStartClosing(urgent: nil)
            }
            await end(WebSocketSession.Ending(code: code ?? CloseCode.noStatus, reason: reason, wasClean: true))
        case .end(let ending):
            await end(ending)
        }
    }

    private func end(_ ending: WebSocketSession.Ending) async {
        ended.store(true, ordering: .relaxed)
        await finish(ending)
    }

    /// The connection is over: tells the room, then releases everything the session held.
    private func finish(_ ending: WebSocketSession.Ending) async {
        if !registered.load(ordering: .relaxed) {
            connection.finishWriting()
        } else if let window = reconnectionWindow, !ending.wasClean, ending.code == CloseCode.abnormal, !connection.isDropped {
            // The peer vanished: its place is kept (and the room in memory) for the window.
            let keeper = registry.checkOut(driver.slot.registration, name: driver.slot.room.key.name)
            let registry = self.registry
            await driver.drop(code: ending.code, reason: ending.reason, window: window) { registry.checkIn(keeper) }
        } else {
            await driver.close(code: ending.code, reason: ending.reason, wasClean: ending.wasClean)
        }
        let handler = self.handler
        channel.eventLoop.execute { handler.value?.roomFinished() }
        try? await channel.closeFuture.get()
        connection.markClosed()
        registry.checkIn(driver.slot)
        ticket.release()
        sessions.remove(connection)
    }
}
