import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// One process-wide pass, every `interval`, over every open TCP connection: pings quiet
/// WebSockets and closes those that do not answer (keep-alive), and closes connections idle past
/// `idleTimeout` (a WebSocket without any frame, an HTTP connection without a complete request).
///
/// Per connection it costs one dictionary entry and, per frame, one relaxed store on the event
/// loop (`ConnectionActivity`); no task or timer per connection. It runs on the connection clock,
/// so tests drive it with a `ManualClock`, and stops with the application.
package final class LivenessSweeper: Sendable {
    /// Time between passes: a quarter of the shortest of the ping interval, pong timeout and idle
    /// timeout (2.5 s with the defaults).
    package let interval: Duration
    private let keepAlive: KeepAlive?
    private let idleTimeout: Duration?
    private let clock: any PartyClock
    private let logger: Logger
    private let ticks: TimerScheduler<Int>
    private let state: Mutex<State>

    private struct State {
        var entries: [ObjectIdentifier: LivenessEntry] = [:]
        var nextSweep: Date
        var sweeps = 0
        var lastPings = 0
        var lastActions = 0
    }

    /// Creates a sweeper on `clock`; it does nothing when neither keep-alive nor an idle timeout is set.
    package init(keepAlive: KeepAlive?, idleTimeout: Duration?, clock: any PartyClock, logger: Logger) {
        self.keepAlive = keepAlive
        self.idleTimeout = idleTimeout
        self.clock = clock
        self.logger = logger
        let shortest = [keepAlive?.pingInterval, keepAlive?.pongTimeout, idleTimeout].compactMap { $0 }.min()
        self.interval = max((shortest ?? .seconds(60)) / 4, .milliseconds(10))
        self.ticks = TimerScheduler(clock: clock, maxConcurrentFirings: 1)
        self.state = Mutex(State(nextSweep: clock.now.addingTimeInterval(interval.timeInterval)))
    }

    /// Whether the sweeper has anything to do.
    package var isEnabled: Bool { keepAlive != nil || idleTimeout != nil }

    // MARK: Connections

    /// Starts watching `channel` until it closes; its handlers report to the returned activity.
    package func watch(_ channel: any Channel) -> ConnectionActivity {
        let activity = ConnectionActivity(channel: channel)
        guard isEnabled else { return activity }
        let key = ObjectIdentifier(activity)
        let entry = LivenessEntry(activity: activity, quietSince: clock.now)
        state.withLock { $0.entries[key] = entry }
        channel.closeFuture.whenComplete { _ in
            self.state.withLock { _ = $0.entries.removeValue(forKey: key) }
        }
        return activity
    }

    /// Number of connections watched.
    package var watchedCount: Int { state.withLock { $0.entries.count } }

    /// The channels of the watched connections.
    package var watchedChannels: [any Channel] {
        state.withLock { $0.entries.values.map(\.activity.channel) }
    }

    /// Number of watched connections that sent part of a request head and wait for the rest.
    package var partialRequestCount: Int {
        state.withLock { $0.entries.values.count { $0.activity.hasPartialRequest } }
    }

    /// Number of watched connections with a sign of life since the last pass.
    package var activeCount: Int {
        state.withLock { $0.entries.values.count { $0.activity.isActive } }
    }

    /// Number of watched connections the server is not reading because their room is busy.
    package var readPausedCount: Int {
        state.withLock { $0.entries.values.count { $0.activity.isReadPaused } }
    }

    /// Number of passes completed.
    package var sweeps: Int { state.withLock { $0.sweeps } }

    /// Number of pings the last pass sent.
    package var lastPassPings: Int { state.withLock { $0.lastPings } }

    /// Number of pings and closes the last pass decided.
    package var lastPassActions: Int { state.withLock { $0.lastActions } }

    /// When the next pass is due.
    package var nextSweep: Date { state.withLock { $0.nextSweep } }

    // MARK: Running

    /// Sweeps every `interval` until `stop()`.
    package func run() async {
        guard isEnabled else { return }
        ticks.schedule(0, at: nextSweep)
        await ticks.run { _ in
            self.sweep()
            self.ticks.schedule(0, at: self.scheduleNext())
        }
    }

    /// Makes `run()` return; permanent.
    package func stop() {
        ticks.stop()
    }

    /// The deadline after the one just swept, skipping any the clock already passed.
    private func scheduleNext() -> Date {
        let now = clock.now
        let step = interval.timeInterval
        return state.withLock { state in
            var next = state.nextSweep.addingTimeInterval(step)
            if next <= now {
                let missed = (now.timeIntervalSince(next) / step).rounded(.down) + 1
                next = next.addingTimeInterval(missed * step)
            }
            state.nextSweep = next
            return next
        }
    }

    /// One pass over every watched connection at the clock's current time.
    package func sweep() {
        let now = clock.now
        let policy = LivenessEntry.Policy(
            pingInterval: keepAlive?.pingInterval.timeInterval,
            pongTimeout: keepAlive?.pongTimeout.timeInterval,
            idleTimeout: idleTimeout?.timeInterval
        )
        var actions: [(ConnectionActivity, LivenessEntry.Action)] = []
        state.withLock { state in
            for index in state.entries.values.indices {
                if let action = state.entries.values[index].check(now: now, policy: policy) {
                    actions.append((state.entries.values[index].activity, action))
                }
            }
        }
        for (activity, action) in actions {
            perform(action, on: activity)
        }
        let pings = actions.count { if case .ping = $0.1 { true } else { false } }
        state.withLock { state in
            state.sweeps += 1
            state.lastPings = pings
            state.lastActions = actions.count
        }
    }

    private func perform(_ action: LivenessEntry.Action, on activity: ConnectionActivity) {
        let channel = activity.channel
        switch action {
        case .ping:
            channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer()), promise: nil)
        case .closeDead:
            close(channel, because: KeepAliveTimeout(kind: .noPong(keepAlive?.pongTimeout ?? .zero)))
        case .closeIdleWebSocket:
            close(channel, because: KeepAliveTimeout(kind: .idle(idleTimeout ?? .zero)))
        case .closeIdleHTTP(let partial):
            let metadata: Logger.Metadata = [
                "limit": "idleTimeout", "timeout": "\(KeepAliveTimeout.seconds(idleTimeout ?? .zero))",
                "remote": "\(channel.remoteAddress.map { "\($0)" } ?? "-")",
            ]
            if partial {
                logger.info("closed an HTTP connection that sent no complete request within idleTimeout", metadata: metadata)
            } else {
                logger.debug("closed an idle HTTP connection", metadata: metadata)
            }
            channel.close(promise: nil)
        }
    }

    /// Tells the WebSocket's read loop why (it reports the reason to `onClose`), then drops the
    /// TCP connection: a peer that does not answer would not complete a closing handshake.
    private func close(_ channel: any Channel, because reason: KeepAliveTimeout) {
        channel.pipeline.fireErrorCaught(reason)
        channel.close(promise: nil)
    }
}
