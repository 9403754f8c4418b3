import Foundation
import Synchronization

extension RoomDirectory {
    /// What the front checks before a connection or request reaches a room: one dictionary
    /// lookup, no allocation.
    package struct Access: Sendable {
        /// Connections must present a valid connection token.
        package var requiresToken: Bool
        /// The room is terminating: refuse newcomers until it has terminated.
        package var isTerminating: Bool
        /// The room was created through the control API (only such rooms have connection tokens).
        package var viaControl: Bool
    }

    /// The control API's access rules for `key`, or nil when the room has no record.
    package func access(_ key: RoomKey) -> Access? {
        withState { state in
            guard let record = state.records[key] else { return nil }
            return Access(requiresToken: record.requiresToken, isTerminating: record.status?.isTerminating ?? false, viaControl: record.viaControl)
        }
    }

    /// The room's environment (`room.env`).
    package func environment(_ key: RoomKey) -> [String: String] {
        withState { $0.records[key]?.env ?? [:] }
    }

    /// The latest status of `key`, if the room has a record.
    package func status(_ key: RoomKey) -> RoomStatusEvent? {
        withState { $0.records[key]?.latest(key: key) }
    }

    /// The active activation of `key` and its spawn settings (nil for a direct activation).
    func activeActivation(_ key: RoomKey) -> (activation: UInt64, status: RoomStatus, spawn: SpawnedActivation?)? {
        withState { state in
            guard let record = state.records[key], record.isActive, let status = record.status else { return nil }
            return (record.activation, status, record.spawn)
        }
    }

    /// Latest statuses of the known rooms, newest first, filtered by server and status.
    package func list(server: String?, status: RoomStatus?, limit: Int) -> [(event: RoomStatusEvent, key: String?)] {
        let all = withState { state in
            state.records.compactMap { key, record -> (event: RoomStatusEvent, key: String?)? in
                guard server == nil || key.server == server, let latest = record.latest(key: key) else { return nil }
                guard status == nil || latest.status == status else { return nil }
                return (latest, record.isLive ? record.spawn?.key : nil)
            }
        }
        return Array(all.sorted { ($0.event.time, $0.event.name) > ($1.event.time, $1.event.name) }.prefix(max(limit, 0)))
    }

    // MARK: Streams

    /// The statuses of `key`'s current activation: first those after `lastEventID` (all of them
    /// without one, or when it names another activation), then each new one; the stream ends
    /// after `terminated` or at shutdown. Nil when the room has no record.
    package func subscribe(_ key: RoomKey, after lastEventID: String? = nil) -> AsyncStream<RoomStatusEvent>? {
        let (stream, continuation) = AsyncStream.makeStream(of: RoomStatusEvent.self)
        let known = withState { state -> Bool in
            guard var record = state.records[key] else { return false }
            var skip = 0
            if let lastEventID, let seen = RoomStatusEvent.parse(id: lastEventID), seen.activation == record.activation {
                skip = min(max(seen.sequence, 0), record.entries.count)
            }
            for index in skip..<record.entries.count {
                continuation.yield(record.event(index, key: key))
            }
            guard record.isActive, !state.isShutDown else {
                continuation.finish()
                return true
            }
            let id = state.nextSubscriber
            state.nextSubscriber &+= 1
            record.subscribers[id] = continuation
            state.records[key] = record
            continuation.onTermination = { [weak self] termination in
                guard case .cancelled = termination else { return }
                self?.unsubscribe(key, id)
            }
            return true
        }
        return known ? stream : nil
    }

    private func unsubscribe(_ key: RoomKey, _ id: UInt64) {
        withState { state in
            _ = state.records[key]?.subscribers.removeValue(forKey: id)
        }
    }

    /// Every status change of every room from now on, until shutdown. A consumer that falls more
    /// than `buffer` events behind loses the oldest.
    package func watchAll(buffer: Int = 4096) -> AsyncStream<RoomStatusEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: RoomStatusEvent.self, bufferingPolicy: .bufferingNewest(buffer))
        withState { state in
            guard !state.isShutDown else {
                continuation.finish()
                return
            }
            let id = state.nextSubscriber
            state.nextSubscriber &+= 1
            state.watchers[id] = continuation
            continuation.onTermination = { [weak self] termination in
                guard case .cancelled = termination else { return }
                self?.withState { _ = $0.watchers.removeValue(forKey: id) }
            }
        }
        return stream
    }
}
