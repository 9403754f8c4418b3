import Crypto
import Foundation
import PartyServer
import Synchronization

/// Sends back who a connection or request is (`id|name|roles|claims`, or `anonymous`), and counts
/// its activations.
actor WhoAmI: Server {
    static let inits = Mutex<[String: Int]>([:])
    let room: Room

    init(room: Room) {
        self.room = room
        Self.inits.withLock { $0[room.name, default: 0] += 1 }
    }

    static func initCount(_ name: String) -> Int { inits.withLock { $0[name] ?? 0 } }

    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        precondition(connection.user == context.user)
        connection.send(text: Self.describe(context.user))
    }

    func onRequest(_ request: Request) async throws -> Response {
        .text(Self.describe(request.user))
    }

    static func describe(_ user: User?) -> String {
        guard let user else { return "anonymous" }
        let claims = user.claims.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return "\(user.id)|\(user.name ?? "-")|\(user.roles.sorted().joined(separator: ","))|\(claims)"
    }
}

/// Like `WhoAmI`, but its before-hooks require a token through `lobby.authenticate`.
actor Guarded: Server {
    static let inits = Mutex<[String: Int]>([:])

    init(room: Room) {
        Self.inits.withLock { $0[room.name, default: 0] += 1 }
    }

    static func initCount(_ name: String) -> Int { inits.withLock { $0[name] ?? 0 } }

    static func onBeforeConnect(_ request: Request, lobby: Lobby) async throws -> Request {
        try await lobby.authenticate(request)
    }

    static func onBeforeRequest(_ request: Request, lobby: Lobby) async throws -> Request {
        try await lobby.authenticate(request)
    }

    func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        connection.send(text: WhoAmI.describe(context.user))
    }

    func onRequest(_ request: Request) async throws -> Response {
        .text(WhoAmI.describe(request.user))
    }
}

/// Hand-made tokens, for the claims and headers `JWTTokenIssuer` never writes.
enum HandMadeToken {
    /// A 48-byte secret for tests.
    static let secret = Data("an-hs256-secret-for-tests-that-is-long-enough!!".utf8)

    /// `header.payload.signature` with an HS256 signature over the two JSON texts.
    static func hs256(header: String = #"{"alg":"HS256","typ":"JWT"}"#, payload: String, secret: Data = secret) -> String {
        let input = base64URL(Data(header.utf8)) + "." + base64URL(Data(payload.utf8))
        let signature = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: secret))
        return input + "." + base64URL(Data(signature))
    }

    /// An unsigned token (`alg: none`).
    static func unsigned(payload: String) -> String {
        base64URL(Data(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + base64URL(Data(payload.utf8)) + "."
    }

    /// The decoded payload JSON of a token.
    static func payload(of token: String) -> [String: Any]? {
        let parts = token.split(separator: ".")
        guard parts.count == 3 else { return nil }
        var text = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        guard let data = Data(base64Encoded: text) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
