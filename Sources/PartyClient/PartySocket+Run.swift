import Foundation
import Logging
import NIOHTTP1
import PartyTime
import Synchronization

extension PartySocket {
    /// Connects, and reconnects after every failure or dropped connection, until ``close()`` is
    /// called, the task is cancelled (which closes the socket with 1000), or
    /// ``PartySocketOptions/maxRetries`` is exhausted; then the state is ``PartySocketState/closed``
    /// and ``events`` ends. Call it once: a second call throws ``PartySocketError/Code/alreadyRunning``.
    public func run() async throws(PartySocketError) {
        let first = core.withLock { core in
            defer { core.started = true }
            return !core.started
        }
        guard first else { throw .alreadyRunning }
        await withTaskCancellationHandler {
            await loop()
        } onCancel: {
            self.close()
        }
    }

    /// One attempt after another until the socket is closed or gives up.
    private func loop() async {
        let clock = options.clock
        while let delay = nextAttempt() {
            if delay > .zero {
                logger.debug("waiting before reconnecting", metadata: ["delay": "\(delay)"])
                let deadline = clock.now.addingTimeInterval(delay.seconds)
                guard case .success = await interruptible({ try await clock.sleep(until: deadline) }) else { continue }
            }
            switch await connect() {
            case nil:
                continue  // interrupted by reconnect() or close()
            case .failure(let error):
                logger.debug("connection attempt failed", metadata: ["error": "\(error)"])
                core.withLock { core in
                    core.state = .disconnected
                    continuation.yield(.error(error))
                    continuation.yield(.close(code: 1006, reason: "", wasClean: false))
                }
            case .success(let connection):
                await serve(connection)
            }
        }
        core.withLock { finish(&$0) }
    }

    /// Counts the next attempt and returns its delay, or nil if the socket is closed or has used
    /// up `maxRetries`.
    private func nextAttempt() -> Duration? {
        let maxRetries = options.maxRetries
        let backoff = options.backoff
        let random = options.random
        return core.withLock { core -> Duration? in
            guard core.closeRequest == nil else { return nil }
            if core.reconnectRequested {
                core.reconnectRequested = false
                core.retryCount = -1
            }
            if let maxRetries, core.retryCount >= maxRetries {
                logger.debug("giving up", metadata: ["retries": "\(core.retryCount)"])
                return nil
            }
            core.retryCount += 1
            core.state = core.retryCount == 0 ? .connecting : .disconnected
            return backoff.delay(beforeAttempt: core.retryCount, random: random())
        }
    }

    /// One connection attempt: resolves query and headers, then connects within `connectionTimeout`.
    /// Nil if `close()` or `reconnect()` interrupted it.
    private func connect() async -> Result<WebSocketConnection, PartySocketError>? {
        let proceed = core.withLock { core in
            guard !core.isInterrupted else { return false }
            core.state = .connecting
            return true
        }
        guard proceed else { return nil }
        let result = await interruptible { [self] () async throws -> WebSocketConnection in
            let request = try await webSocketRequest()
            return try await withDeadline(clock: options.clock, timeout: options.connectionTimeout) {
                try await WebSocketConnector.connect(request)
            }
        }
        switch result {
        case .success(let connection):
            return .success(connection)
        case .failure(let error):
            if core.withLock({ $0.isInterrupted }) { return nil }
            return .failure(describe(error))
        }
    }

    /// The upgrade request with the query and headers as they are now.
    private func webSocketRequest() async throws -> WebSocketRequest {
        let query: [(String, String)]
        do { query = try await options.query.resolve() } catch { throw PartySocketError.parametersFailed("query", error) }
        let headers: [(String, String)]
        do { headers = try await options.headers.resolve() } catch { throw PartySocketError.parametersFailed("headers", error) }
        return WebSocketRequest(
            host: url.host.name, port: url.port, authority: url.host.authority,
            target: url.webSocketTarget(query: query),
            headers: try HeaderValidation.validated(headers, forWebSocket: true),
            tls: try tlsContext(), maxMessageSize: options.maxMessageSize,
            connectTimeout: options.connectionTimeout, closeTimeout: options.closeTimeout
        )
    }

    /// Opens `connection` (flushing the queue, then the open event), relays its messages, and
    /// reports its close.
    private func serve(_ connection: WebSocketConnection) async {
        let clock = options.clock
        let opened = core.withLock { core in
            guard !core.isInterrupted else { return false }
            core.open(connection, at: clock.now)
            continuation.yield(.open)
            return true
        }
        guard opened else {
            connection.close(code: 1000, reason: "")
            return
        }
        logger.debug("connected")
        var closeFrame: (code: Int, reason: String)?
        var failure: String?
        for await event in connection.events {
            switch event {
            case .message(let message):
                continuation.yield(.message(message))
            case .closeFrame(let code, let reason):
                closeFrame = (code, reason)
                core.withLock { $0.detach(connection) }
            case .failure(let description):
                failure = description
            }
        }
        let minUptime = options.minUptime
        core.withLock { core in
            core.endSession(connection, at: clock.now, minUptime: minUptime)
            if closeFrame == nil, let failure {
                continuation.yield(.error(.connectionLost(failure)))
            }
            continuation.yield(.close(code: closeFrame?.code ?? 1006, reason: closeFrame?.reason ?? "", wasClean: closeFrame != nil))
        }
        logger.debug("disconnected", metadata: ["code": "\(closeFrame?.code ?? 1006)"])
    }

    /// Runs `body` in a task that `close()` and `reconnect()` cancel.
    private func interruptible<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async -> Result<T, any Error> {
        let task = Task { try await body() }
        let proceed = core.withLock { core in
            guard !core.isInterrupted else { return false }
            core.interrupt = { task.cancel() }
            return true
        }
        if !proceed { task.cancel() }
        let result = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            task.cancel()
        }
        core.withLock { $0.interrupt = nil }
        return result
    }

    /// The ``PartySocketError`` for an error of a connection attempt.
    private func describe(_ error: any Error) -> PartySocketError {
        switch error {
        case let error as PartySocketError:
            error
        case TransportError.timedOut:
            .connectionTimedOut(url.host.authority, options.connectionTimeout)
        case TransportError.rejected(let status, let body):
            .upgradeRejected(status, body)
        case TransportError.protocolViolation(let detail):
            .protocolViolation(detail)
        case let error as NIOHTTPClientUpgradeError:
            .protocolViolation("the server's answer to the upgrade request is not a valid WebSocket handshake (\(error))")
        default:
            .connectionFailed(url.host.authority, ErrorDescription.of(error))
        }
    }
}
