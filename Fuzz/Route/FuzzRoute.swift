import PartyClient
import PartyFuzzing
import PartyServer

/// libFuzzer's entry point for the route and name parser.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzRoute.check(FuzzDriver.bytes(data, size))
    return 0
}

/// Fuzzes `RoomRoute.match`, `RoomRoute.validateName` and `QueryString.parse` with the input as
/// a path, as the name part of a path and as a room name the Swift client encodes. Invariants: a
/// path is a room path exactly when it is under `/parties/`; an accepted name has 1–128
/// characters, no `/` and no control character; the server is non-empty and lowercased and the
/// rest of the path starts with `/`; a name the client encodes routes back to itself (or is refused when it
/// breaks the rules); a query the client encodes parses back to the same pairs.
@main
enum FuzzRoute {
    static func main() {
        FuzzDriver.main(fuzzTestOneInput)
    }

    static func check(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for path in [text, "/" + text, "/parties/chat/" + text] {
            checkMatch(path)
        }
        if case .success(let name) = RoomRoute.validateName(Substring(text)) {
            FuzzDriver.require(followsRules(name), "validateName accepted \(name.debugDescription)")
        }
        _ = QueryString.parse(Substring(text))
        checkClientRoundTrip(text)
    }

    /// Whether `name` follows the naming rules: 1–128 characters, no `/`, no control characters.
    static func followsRules(_ name: String) -> Bool {
        (1...RoomRoute.maxNameLength).contains(name.count)
            && !name.unicodeScalars.contains { $0 == "/" || $0.properties.generalCategory == .control }
    }

    private static func checkMatch(_ path: String) {
        let underPrefix = path == "/parties" || path.hasPrefix("/parties/")
        switch RoomRoute.match(path: path, prefix: "parties") {
        case .notParty:
            FuzzDriver.require(!underPrefix, "\(path.debugDescription) is under the prefix but was not matched")
        case .invalid(let reason):
            FuzzDriver.require(underPrefix, "\(path.debugDescription) is not under the prefix but was refused")
            FuzzDriver.require(!reason.isEmpty, "empty reason for \(path.debugDescription)")
        case .room(let server, let name, let rest):
            FuzzDriver.require(underPrefix, "\(path.debugDescription) is not under the prefix but matched")
            // The server part may decode to anything: it is looked up, and only route names match.
            FuzzDriver.require(!server.isEmpty && server == server.lowercased(), "server \(server.debugDescription)")
            FuzzDriver.require(followsRules(name), "accepted name \(name.debugDescription) from \(path.debugDescription)")
            FuzzDriver.require(rest.isEmpty || (rest.hasPrefix("/") && path.hasSuffix(rest)), "rest \(rest.debugDescription)")
        }
    }

    /// The Swift client's URL for `name` (and a query made from it) must reach that room.
    private static func checkClientRoundTrip(_ name: String) {
        guard !name.isEmpty, let url = try? PartySocketURL(host: "localhost:1999", room: name, party: "chat", id: "fuzz") else { return }
        let result = RoomRoute.match(path: url.roomPath(), prefix: "parties")
        if followsRules(name) && name.utf8.count <= 4 * RoomRoute.maxNameLength {
            FuzzDriver.require(result == .room(server: "chat", name: name, rest: ""), "\(name.debugDescription) routed to \(result)")
        } else if !followsRules(name) {
            guard case .invalid = result else {
                FuzzDriver.require(false, "\(name.debugDescription) breaks the rules but routed to \(result)")
                return
            }
        }
        let target = url.webSocketTarget(query: [(name, String(name.reversed()))])
        guard let question = target.firstIndex(of: "?") else {
            FuzzDriver.require(false, "no query in \(target)")
            return
        }
        let pairs = QueryString.parse(target[target.index(after: question)...])
        FuzzDriver.require(
            pairs.count == 2 && pairs[0] == ("_pk", "fuzz") && pairs[1] == (name, String(name.reversed())),
            "query of \(name.debugDescription) parsed as \(pairs)"
        )
    }
}
