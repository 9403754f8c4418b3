import NIOCore

extension TestWebSocket {
    /// Waits for the next event; throws ``TestWebSocketError/timeout`` after `timeout`.
    ///
    /// Once the connection has closed and all earlier events were consumed, this returns `.disconnected` immediately.
    public func next(timeout: Duration = .seconds(10)) async throws -> Event {
        try await events.next(deadline: Self.deadline(after: timeout))
    }

    /// Waits for the next text message, skipping pings and pongs; any other event throws ``TestWebSocketError/unexpected(_:)``.
    public func nextText(timeout: Duration = .seconds(10)) async throws -> String {
        let event = try await nextMessage(timeout: timeout)
        guard case .text(let text) = event else { throw TestWebSocketError.unexpected(event) }
        return text
    }

    /// Waits for the next binary message, skipping pings and pongs; any other event throws ``TestWebSocketError/unexpected(_:)``.
    public func nextBinary(timeout: Duration = .seconds(10)) async throws -> [UInt8] {
        let event = try await nextMessage(timeout: timeout)
        guard case .binary(let bytes) = event else { throw TestWebSocketError.unexpected(event) }
        return bytes
    }

    /// Waits for the next `.text` or `.binary` event, skipping pings and pongs; anything else throws ``TestWebSocketError/unexpected(_:)``.
    public func nextMessage(timeout: Duration = .seconds(10)) async throws -> Event {
        let deadline = Self.deadline(after: timeout)
        while true {
            let event = try await events.next(deadline: deadline)
            switch event {
            case .ping, .pong:
                continue
            case .text, .binary:
                return event
            case .close, .disconnected:
                throw TestWebSocketError.unexpected(event)
            }
        }
    }

    /// Discards events until the server's close frame arrives and returns its code and reason.
    ///
    /// Throws ``TestWebSocketError/unexpected(_:)`` with `.disconnected` if the connection dropped without a close frame.
    public func waitForClose(timeout: Duration = .seconds(10)) async throws -> (code: Int?, reason: String) {
        let deadline = Self.deadline(after: timeout)
        while true {
            let event = try await events.next(deadline: deadline)
            switch event {
            case .close(let code, let reason):
                return (code, reason)
            case .disconnected:
                throw TestWebSocketError.unexpected(event)
            case .text, .binary, .ping, .pong:
                continue
            }
        }
    }

    /// Waits until the TCP connection is closed (by either side), without consuming events.
    public func waitForDisconnect(timeout: Duration = .seconds(10)) async throws {
        let channel = self.channel
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.closeFuture.cascade(to: promise)
        let timer = channel.eventLoop.scheduleTask(deadline: Self.deadline(after: timeout)) {
            promise.fail(TestWebSocketError.timeout)
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }

    /// Removes and returns every buffered event without waiting (ending with `.disconnected` if the connection is closed).
    public func drainEvents() -> [Event] {
        events.drain()
    }

    /// The NIO deadline `timeout` from now.
    static func deadline(after timeout: Duration) -> NIODeadline {
        NIODeadline.now() + TimeAmount(timeout)
    }
}
