import Logging
import PartyServer
import Testing

/// The room directory hands status events to their streams after releasing its lock: a stream
/// whose consumer is cancelled takes that lock in its termination handler while the runtime
/// holds the consumer task's lock, so yielding under the directory's lock could deadlock.
@Suite("Status stream delivery")
struct StatusStreamDeliveryTests {
    @Test("Consumers cancelled while their room's statuses are delivered neither deadlock nor miss the order", .timeLimit(.minutes(1)))
    func cancelWhileDelivering() async throws {
        let logger = Logger(label: "status-delivery")
        let engine = try StorageEngine(directory: nil, logger: logger)
        let directory = RoomDirectory(configuration: ControlConfiguration(), clock: SystemClock(), engine: engine, tokenKeys: .random(), logger: logger)
        for round in 0..<2_000 {
            let key = RoomKey(server: "stress", name: "room-\(round)")
            let activation = try #require(directory.beginActivation(key)).activation
            let orders = await withTaskGroup(of: [String]?.self) { group in
                for index in 0..<4 {
                    group.addTask {
                        guard let stream = directory.subscribe(key) else { return nil }
                        var seen: [String] = []
                        for await event in stream { seen.append(event.status.rawValue) }
                        return index.isMultiple(of: 2) ? nil : seen
                    }
                }
                group.addTask {
                    _ = directory.advance(key, activation: activation, to: .ready)
                    directory.end(key, activation: activation, reason: .shutdown)
                    return nil
                }
                // Cancels the consumers while the statuses are being delivered.
                group.cancelAll()
                var orders: [[String]] = []
                for await order in group { if let order { orders.append(order) } }
                return orders
            }
            for order in orders {
                // A cancelled consumer sees a prefix; whatever it saw is in order.
                #expect(order == Array(["scheduled", "ready", "terminating", "terminated"].prefix(order.count)), "\(order)")
            }
        }
        directory.shutDown()
    }
}
