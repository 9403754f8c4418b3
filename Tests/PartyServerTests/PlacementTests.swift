@testable import PartyCluster
import Testing

/// Where a room nobody holds starts: the less loaded of two live nodes picked at random.
struct PlacementTests {
    /// A deterministic generator (SplitMix64), so a test sees the same picks every run.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func member(_ id: String, rooms: Int) -> NodeMembership.Member {
        NodeMembership.Member(id: id, address: "127.0.0.1:1", rooms: rooms)
    }

    @Test func noMembersPlaceNothingAndOneMemberTakesEverything() {
        var random = SplitMix(state: 1)
        #expect(Placement.choose(among: [], preferring: "a", using: &random) == nil)
        #expect(Placement.choose(among: [Self.member("b", rooms: 9)], preferring: "a", using: &random)?.id == "b")
    }

    @Test func theLessLoadedOfTheTwoPickedWins() {
        var random = SplitMix(state: 7)
        let members = [Self.member("a", rooms: 10), Self.member("b", rooms: 0)]
        for _ in 0..<100 {
            #expect(Placement.choose(among: members, preferring: "a", using: &random)?.id == "b")
        }
    }

    @Test func aTieGoesToThisNode() {
        var random = SplitMix(state: 3)
        let members = [Self.member("a", rooms: 4), Self.member("b", rooms: 4)]
        for _ in 0..<100 {
            #expect(Placement.choose(among: members, preferring: "a", using: &random)?.id == "a")
        }
    }

    @Test func placingRoomsOneByOneKeepsTheNodesClose() throws {
        var random = SplitMix(state: 11)
        var members = (1...5).map { Self.member("n\($0)", rooms: 0) }
        for _ in 0..<1_000 {
            let chosen = try #require(Placement.choose(among: members, preferring: "n1", using: &random))
            members[members.firstIndex { $0.id == chosen.id }!].rooms += 1
        }
        let counts = members.map(\.rooms)
        #expect(counts.reduce(0, +) == 1_000)
        // Two choices keep the spread within a few rooms; placing uniformly at random would leave
        // a spread of about 30 here (five nodes, 1,000 rooms: a standard deviation of 12.6 each).
        #expect(counts.max()! - counts.min()! <= 4, "\(counts)")
    }
}
