/// The connections of a room, behind the room's lock.
///
/// A room with few connections keeps them in one small array, oldest first: most rooms have one
/// or two, and every room in memory (hibernated ones included) pays for this. Past
/// `listLimit` they move to a dictionary by identity, with an index of the latest connection of
/// each id, so joins, leaves and lookups stay constant-time in rooms of thousands.
struct RoomMembers: Sequence, Sendable {
    /// The most connections kept in the array.
    static let listLimit = 8

    /// The connections while there are at most `listLimit` (and no index).
    private var list: [Connection] = []
    /// The connections once there were more, until the room is empty again.
    private var index: Index?

    /// Connections by identity, and the latest one of each id.
    private struct Index: Sendable {
        var all: [ObjectIdentifier: Connection] = [:]
        var byID: [String: Connection] = [:]
    }

    /// The number of connections.
    var count: Int { index?.all.count ?? list.count }

    /// Whether the connections are in the index rather than the array.
    var isIndexed: Bool { index != nil }

    /// Adds `connection`; it is now the latest of its id.
    mutating func add(_ connection: Connection) {
        if index != nil {
            index!.all[ObjectIdentifier(connection)] = connection
            index!.byID[connection.id] = connection
            return
        }
        list.append(connection)
        guard list.count > Self.listLimit else { return }
        // Oldest first, so that the index keeps the latest connection of each id.
        var built = Index()
        for member in list {
            built.all[ObjectIdentifier(member)] = member
            built.byID[member.id] = member
        }
        index = built
        list = []
    }

    /// Removes `connection`, if it is a member; an empty room gives its storage back.
    mutating func remove(_ connection: Connection) {
        guard index != nil else {
            list.removeAll { $0 === connection }
            if list.isEmpty { list = [] }
            return
        }
        index!.all[ObjectIdentifier(connection)] = nil
        if index!.all.isEmpty {
            index = nil
        } else if index!.byID[connection.id] === connection {
            index!.byID[connection.id] = index!.all.values.first { $0.id == connection.id }
        }
    }

    /// The open connection with `id`: the latest one, unless it is closing and an older one with
    /// the same id is still open.
    func connection(id: String) -> Connection? {
        guard let index else {
            return list.last { $0.id == id && $0.status == .open }
        }
        if let latest = index.byID[id], latest.status == .open { return latest }
        return index.all.values.first { $0.id == id && $0.status == .open }
    }

    /// Iterates over the members without allocating.
    func makeIterator() -> Iterator {
        guard let index else { return Iterator(listed: list.makeIterator(), indexed: nil) }
        return Iterator(listed: [Connection]().makeIterator(), indexed: index.all.values.makeIterator())
    }

    /// The members, in no particular order.
    struct Iterator: IteratorProtocol {
        fileprivate var listed: IndexingIterator<[Connection]>
        fileprivate var indexed: Dictionary<ObjectIdentifier, Connection>.Values.Iterator?

        mutating func next() -> Connection? {
            if indexed != nil { return indexed!.next() }
            return listed.next()
        }
    }
}
