import CoreMetrics

/// Metrics of one server type, labelled `server="route-name"`.
package final class ServerMetrics: Sendable {
    /// Rooms whose actor is live.
    package let roomsLive: CoreMetrics.Meter
    /// Rooms hibernated while holding open connections (rooms with none cost nothing and are not counted).
    package let roomsHibernated: CoreMetrics.Meter
    /// Rooms hibernated (snapshot taken, actor released).
    package let hibernations: CoreMetrics.Counter
    /// Rooms evicted without hibernation (no connections, idle).
    package let evictions: CoreMetrics.Counter
    /// Activations of a room that had been hibernated or evicted, or never started in this process.
    package let wakes: CoreMetrics.Counter
    /// Rooms reset because a storage write failed (instance discarded, connections closed).
    package let resets: CoreMetrics.Counter

    init(routeName: String, factory: any MetricsFactory) {
        let dimensions = [("server", routeName)]
        roomsLive = CoreMetrics.Meter(label: "partyserver_rooms_live", dimensions: dimensions, factory: factory)
        roomsHibernated = CoreMetrics.Meter(label: "partyserver_rooms_hibernated", dimensions: dimensions, factory: factory)
        hibernations = CoreMetrics.Counter(label: "partyserver_hibernations_total", dimensions: dimensions, factory: factory)
        evictions = CoreMetrics.Counter(label: "partyserver_evictions_total", dimensions: dimensions, factory: factory)
        wakes = CoreMetrics.Counter(label: "partyserver_wakes_total", dimensions: dimensions, factory: factory)
        resets = CoreMetrics.Counter(label: "partyserver_room_resets_total", dimensions: dimensions, factory: factory)
    }
}
