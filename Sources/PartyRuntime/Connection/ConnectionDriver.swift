import CoreMetrics
import Foundation
import Logging

/// Takes one connection through its room's hooks, whatever carries it: wakes the room, tags and
/// registers the connection, runs `onConnect`, delivers messages in order, and finally
/// unregisters it and runs `onClose`. A hook that throws calls `onError` and closes the
/// connection with 1011; the room keeps serving the others. Every hook call holds the room
/// (`acquire`/`release`), so a room never hibernates under a running hook.
package struct ConnectionDriver: Sendable {
    /// The room's slot.
    package let slot: RoomSlot
    /// The connection being driven.
    package let connection: Connection

    package init(slot: RoomSlot, connection: Connection) {
        self.slot = slot
        self.connection = connection
    }

    /// Wakes the room and runs `getConnectionTags` and `onConnect` with `context`, the upgrade
    /// request (kept only while they run). Returns whether the connection
    /// was registered with the room; when the room failed to start or a hook threw, the
    /// connection is already closing with 1011 (1013 when a room limit kept the room from starting).
    package func open(_ context: ConnectionContext) async -> Bool {
        let hold: RoomHold
        do {
            hold = try await slot.acquire(admitting: true)
        } catch let refusal as AdmissionRefusal {
            connection.logger.info("closing a new connection: the room could not start under the limits", metadata: ["limit": "\(refusal.limitName)"])
            connection.startClosing(code: CloseCode.tryAgainLater, reason: refusal.description)
            return false
        } catch {
            connection.startClosing(code: CloseCode.internalError, reason: "room failed to start")
            return false
        }
        defer { slot.release(hold) }
        let instance = hold.instance
        var registered = false
        let returning = returningConnection()
        do {
            if let returning {
                try connection.adopt(returning)
            } else {
                try connection.setTags(try await instance.getConnectionTags(connection, context))
            }
            slot.room.add(connection)
            slot.room.services.metrics.connections.increment()
            registered = true
            if returning != nil {
                try await instance.onReconnect(connection, context)
            } else {
                try await instance.onConnect(connection, context)
            }
        } catch {
            await fail(instance, error)
        }
        if registered, let closing = slot.terminationClose {
            // The room started terminating meanwhile and may not have seen this connection.
            connection.close(code: closing.code, reason: closing.reason)
        }
        return registered
    }

    /// The earlier connection of the same client whose place this one takes, if any: one held
    /// since it dropped (within the reconnection window), or, with a window, one still open that
    /// was not yet seen to drop (a network blip), which is cut without `onClose`.
    private func returningConnection() -> Connection? {
        if let earlier = slot.room.dropped.take(connection.id) {
            earlier.release()
            return earlier.connection
        }
        guard slot.registration.options.reconnectionWindow != nil, let stale = slot.room.connection(id: connection.id), stale !== connection else {
            return nil
        }
        stale.drop()
        return stale
    }

    /// Delivers a message to `onMessage` (dropped once the connection is closing). The server's
    /// auto-response, if any, is answered here without waking the room.
    package func deliver(_ message: Message) async {
        guard connection.status == .open else { return }
        slot.messagesIn.increment()
        if let auto = slot.autoResponse, message.kind == .text,
            message.buffer.readableBytesView.elementsEqual(auto.request.utf8)
        {
            connection.send(text: auto.response)
            return
        }
        let hold: RoomHold
        do {
            hold = try await slot.acquire()
        } catch {
            connection.startClosing(code: CloseCode.internalError, reason: "room failed to start")
            return
        }
        defer { slot.release(hold) }
        do {
            try await hold.instance.onMessage(connection, message)
        } catch {
            await fail(hold.instance, error)
        }
    }

    /// The peer vanished and the room keeps its place for `window`: unregisters the connection,
    /// holds it (with `keepAlive`, which keeps the room in memory, given back when it is taken
    /// back or expires), schedules its expiry and runs `onDrop`.
    package func drop(code: Int, reason: String, window: Duration, keepAlive release: @escaping @Sendable () -> Void) async {
        connection.finishWriting()
        slot.room.remove(connection)
        slot.room.services.metrics.connections.decrement()
        let services = slot.room.services
        let deadline = services.clock.now.addingTimeInterval(window.timeInterval)
        // The seat first: a client back before the hold is recorded then finds both.
        services.admission.holdSeat(slot.room.key, id: Self.seat(for: connection.id), until: deadline)
        let generation = slot.room.dropped.hold(connection, code: code, reason: reason, release: release)
        services.dropTimers.schedule(DropTimer(room: slot.room.key, id: connection.id, generation: generation), at: deadline)
        do {
            let hold = try await slot.acquire()
            defer { slot.release(hold) }
            try await hold.instance.onDrop(connection, code: code, reason: reason)
        } catch {
            connection.logger.error("onDrop failed", metadata: ["error": "\(error)"])
        }
    }

    /// The admission seat a dropped connection with `id` keeps: its client takes it back by
    /// reconnecting with the same `_pk`.
    package static func seat(for id: String) -> String { "dropped:\(id)" }

    /// A dropped connection's window passed: runs its `onClose` with how it ended.
    package static func expire(_ held: DroppedConnections.Held, in slot: RoomSlot) async {
        defer { held.release() }
        do {
            let hold = try await slot.acquire()
            defer { slot.release(hold) }
            try await hold.instance.onClose(held.connection, code: held.code, reason: held.reason, wasClean: false)
        } catch {
            held.connection.logger.error("onClose failed", metadata: ["error": "\(error)"])
        }
    }

    /// Unregisters the connection and runs `onClose` with how it ended.
    package func close(code: Int, reason: String, wasClean: Bool) async {
        connection.finishWriting()
        slot.room.remove(connection)
        slot.room.services.metrics.connections.decrement()
        guard !connection.isDropped else { return }
        do {
            let hold = try await slot.acquire()
            defer { slot.release(hold) }
            try await hold.instance.onClose(connection, code: code, reason: reason, wasClean: wasClean)
        } catch {
            connection.logger.error("onClose failed", metadata: ["error": "\(error)"])
        }
    }

    /// The client broke the protocol or a limit and the connection is closing with `code`:
    /// `onError` learns it (as a `ConnectionProtocolError`) while the room keeps serving.
    package func reportProtocolError(code: Int, reason: String) async {
        guard let hold = try? await slot.acquire() else { return }
        defer { slot.release(hold) }
        await hold.instance.onError(connection, ConnectionProtocolError(code: code, reason: reason))
    }

    private func fail(_ instance: any Server, _ error: any Error) async {
        await instance.onError(connection, error)
        connection.close(code: CloseCode.internalError, reason: Self.reason(for: error))
    }

    /// A close reason that does not leak internals: a `PartyError`'s description, a short storage
    /// failure, else a generic text.
    static func reason(for error: any Error) -> String {
        if let error = error as? PartyError { return error.description }
        switch error as? StorageError {
        case .full?: return "storage full: the write was not stored"
        case .roomReset?: return "storage error: the room was reset; reconnect"
        case .closed?: return "server shutting down"
        case .some: return "storage error"
        case nil: return "internal error"
        }
    }
}
