/// Where a room nobody holds starts: the less loaded of two live nodes picked at random ("power of
/// two choices"), which spreads rooms about as evenly as asking every node, at the cost of two.
package enum Placement {
    /// The chosen member, or `nil` when there is none. Ties go to `preferred` (this node, so a
    /// room starts where its first request arrived when loads are equal).
    package static func choose<Random: RandomNumberGenerator>(
        among members: [NodeMembership.Member],
        preferring preferred: String,
        using random: inout Random
    ) -> NodeMembership.Member? {
        guard let first = members.randomElement(using: &random) else { return nil }
        guard members.count > 1 else { return first }
        var second = members.randomElement(using: &random)!
        while second.id == first.id { second = members.randomElement(using: &random)! }
        if first.rooms != second.rooms { return first.rooms < second.rooms ? first : second }
        if second.id == preferred { return second }
        return first
    }
}
