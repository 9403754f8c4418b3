import Crypto
import Foundation
import PartyServer
import PartyServerTesting
import Testing

/// JSON Web Token authentication against a live server: where tokens are read, what a room sees,
/// and every refusal answered with 401 before any room starts.
@Suite("JWT authentication")
struct JWTAuthenticationTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    private func withServer(
        required: Bool = true,
        keys: [JWTKey]? = nil,
        issuer: String? = nil,
        audience: String? = nil,
        clock: ManualClock = ManualClock(now: now),
        _ body: (PartyTestServer) async throws -> Void
    ) async throws {
        var configuration = PartyConfiguration(clock: clock)
        configuration.jwt = JWTAuthentication(
            keys: try keys ?? [.hs256(secret: HandMadeToken.secret)], required: required, issuer: issuer, audience: audience
        )
        try await PartyTestServer.withServer(configuration: configuration, {
            try $0.register(WhoAmI.self)
            try $0.register(Guarded.self)
        }, body)
    }

    private func issue(_ subject: String = "alice", ttl: Duration = .seconds(3600), now: Date = now, key: JWTKey? = nil, name: String? = nil, roles: [String] = [], claims: [String: String] = [:], issuer: String? = nil, audience: String? = nil) async throws -> String {
        try await JWTTokenIssuer(key: key ?? .hs256(secret: HandMadeToken.secret))
            .token(subject: subject, expiresIn: ttl, name: name, roles: roles, claims: claims, issuer: issuer, audience: audience, now: now)
    }

    @Test("a valid token in Authorization: Bearer or the token query parameter becomes the user of the connection and the request")
    func validTokenBecomesTheUser() async throws {
        try await withServer { server in
            let token = try await issue(name: "Alice", roles: ["editor", "admin"], claims: ["team": "blue"])
            let expected = "alice|Alice|admin,editor|team=blue"
            let room = uniqueRoom("who")
            let byHeader = try await server.webSocket("/parties/who-am-i/\(room)", headers: [("Authorization", "Bearer \(token)")])
            #expect(try await byHeader.nextText() == expected)
            let byQuery = try await server.webSocket("/parties/who-am-i/\(room)?token=\(token)")
            #expect(try await byQuery.nextText() == expected)
            #expect(try await server.request("GET", "/parties/who-am-i/\(room)", headers: [("Authorization", "Bearer \(token)")]).text == expected)
            #expect(try await server.request("GET", "/parties/who-am-i/\(room)?token=\(token)").text == expected)
        }
    }

    @Test("missing, forged, expired, early, foreign, unsigned and malformed tokens get 401 with a JSON error, and no room starts")
    func refusedTokens() async throws {
        let iat = Int(Self.now.timeIntervalSince1970)
        let otherSecret = Data(repeating: 7, count: 40)
        let ours = #""iss":"us","aud":["us","others"]"#
        let cases: [(String, String?, String)] = [
            ("missing", nil, "a token is required"),
            ("forged", try await issue(key: .hs256(secret: otherSecret), issuer: "us", audience: "us"), "signature is not valid"),
            ("expired", try await issue(ttl: .seconds(60), now: Self.now.addingTimeInterval(-3600), issuer: "us", audience: "us"), "has expired"),
            ("early", HandMadeToken.hs256(payload: #"{"sub":"a","exp":\#(iat + 600),"nbf":\#(iat + 300),\#(ours)}"#), "not valid yet"),
            ("no expiry", HandMadeToken.hs256(payload: #"{"sub":"a",\#(ours)}"#), "no expiry"),
            ("no subject", HandMadeToken.hs256(payload: #"{"exp":\#(iat + 600),\#(ours)}"#), "no subject"),
            ("wrong issuer", try await issue(issuer: "someone-else", audience: "us"), "issued by someone else"),
            ("wrong audience", try await issue(issuer: "us", audience: "them"), "another audience"),
            ("alg none", HandMadeToken.unsigned(payload: #"{"sub":"a","exp":\#(iat + 600)}"#), "are not accepted"),
            ("ES256 header", HandMadeToken.hs256(header: #"{"alg":"ES256"}"#, payload: #"{"sub":"a","exp":\#(iat + 600)}"#), "are not accepted"),
            ("garbage", "not-a-token", "not a well-formed JWT"),
            ("bad exp", HandMadeToken.hs256(payload: #"{"sub":"a","exp":"tomorrow"}"#), "not a well-formed JWT"),
        ]
        try await withServer(issuer: "us", audience: "us") { server in
            for (label, token, message) in cases {
                let room = uniqueRoom("refused")
                let headers = token.map { [("Authorization", "Bearer \($0)")] } ?? []
                let refusal = try #require(await upgradeError(server, "/parties/who-am-i/\(room)", headers: headers), "\(label): the upgrade was accepted")
                #expect(refusal.status == 401, "\(label)")
                #expect(refusal.headers.contains { $0.0.lowercased() == "www-authenticate" && $0.1.hasPrefix("Bearer") }, "\(label)")
                let response = try await server.request("GET", "/parties/who-am-i/\(room)", headers: headers)
                #expect(response.status == 401, "\(label)")
                #expect(response.text.contains(message), "\(label): \(response.text)")
                #expect(response.text.contains(#""status":401"#), "\(label): \(response.text)")
                #expect(WhoAmI.initCount(room) == 0, "\(label): the room started")
            }
        }
    }

    @Test("a token that was valid is refused once the server's clock passes its expiry")
    func expiryFollowsTheClock() async throws {
        let clock = ManualClock(now: Self.now)
        try await withServer(clock: clock) { server in
            let token = try await issue(ttl: .seconds(60))
            let room = uniqueRoom("expiry")
            #expect(try await server.request("GET", "/parties/who-am-i/\(room)?token=\(token)").status == 200)
            clock.advance(by: .seconds(60 + 4))
            #expect(try await server.request("GET", "/parties/who-am-i/\(room)?token=\(token)").status == 200, "within the 5 s leeway")
            clock.advance(by: .seconds(2))
            #expect(try await upgradeStatus(server, "/parties/who-am-i/\(room)?token=\(token)") == 401)
        }
    }

    @Test("ES256: a server holding only the public key accepts tokens signed by the private key and refuses other signers and HS256")
    func es256() async throws {
        let privateKey = P256.Signing.PrivateKey()
        let stranger = P256.Signing.PrivateKey()
        let signing = try JWTKey.es256(privateKeyPEM: privateKey.pemRepresentation)
        let verifying = try JWTKey.es256(publicKeyPEM: privateKey.publicKey.pemRepresentation)
        #expect(!verifying.canSign)
        #expect(throws: JWTKeyError.cannotSign) { try JWTTokenIssuer(key: verifying) }
        try await withServer(keys: [verifying]) { server in
            let room = uniqueRoom("es")
            let good = try await issue("bob", key: signing)
            let socket = try await server.webSocket("/parties/who-am-i/\(room)?token=\(good)")
            #expect(try await socket.nextText() == "bob|-||")
            let foreign = try await issue("bob", key: .es256(privateKeyPEM: stranger.pemRepresentation))
            #expect(try await server.request("GET", "/parties/who-am-i/\(room)?token=\(foreign)").text.contains("signature is not valid"))
            let hmac = try await issue("bob")
            #expect(try await server.request("GET", "/parties/who-am-i/\(room)?token=\(hmac)").text.contains("are not accepted"))
        }
    }

    @Test("required: false leaves rooms open; a server type whose before-hooks call lobby.authenticate still refuses without a token")
    func hooksAuthenticate() async throws {
        try await withServer(required: false) { server in
            let open = uniqueRoom("open")
            #expect(try await server.request("GET", "/parties/who-am-i/\(open)").text == "anonymous")
            let guarded = uniqueRoom("guarded")
            #expect(try await upgradeStatus(server, "/parties/guarded/\(guarded)") == 401)
            #expect(try await server.request("GET", "/parties/guarded/\(guarded)").status == 401)
            #expect(Guarded.initCount(guarded) == 0)
            let token = try await issue("carol", roles: ["viewer"])
            let socket = try await server.webSocket("/parties/guarded/\(guarded)?token=\(token)")
            #expect(try await socket.nextText() == "carol|-|viewer|")
            #expect(Guarded.initCount(guarded) == 1)
        }
    }

    @Test("keys are checked when made: short secrets and bad PEM fail with what to do")
    func keyErrors() throws {
        #expect(throws: JWTKeyError.secretTooShort(31)) { try JWTKey.hs256(secret: Data(repeating: 1, count: 31)) }
        #expect(throws: JWTKeyError.self) { try JWTKey.es256(publicKeyPEM: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----") }
        do {
            _ = try JWTKey.es256(privateKeyPEM: "nonsense")
            Issue.record("a bad PEM was accepted")
        } catch {
            #expect(error.description.contains("openssl ecparam"))
        }
    }
}

extension JWTAuthenticationTests {
    @Test("a token with the configured issuer and an audience list containing ours is accepted")
    func issuerAndAudienceList() async throws {
        let iat = Int(Self.now.timeIntervalSince1970)
        try await withServer(issuer: "us", audience: "us") { server in
            let token = HandMadeToken.hs256(payload: #"{"sub":"dan","exp":\#(iat + 600),"iss":"us","aud":["them","us"],"level":3,"beta":true,"meta":{"a":[1,"x"]}}"#)
            let response = try await server.request("GET", "/parties/who-am-i/\(uniqueRoom("aud"))?token=\(token)")
            #expect(response.text == #"dan|-||beta=true,level=3,meta={"a":[1,"x"]}"#)
        }
    }
}

extension JWTAuthenticationTests {
    @Test("workers authenticate with their own credentials where every room requires a token")
    func workersAreExempt() async throws {
        try await withServer { server in
            let accounts = try WorkerAccounts(dataDirectory: server.dataDirectory)
            let credentials = try await accounts.create(name: "indexer")
            await accounts.close()
            let room = uniqueRoom("worker")
            let socket = try await server.webSocket("/parties/who-am-i/\(room)", headers: [("Authorization", credentials.authorization)])
            #expect(try await socket.nextText() == "\(credentials.id)|indexer|worker|kind=worker")
            #expect(try await upgradeStatus(server, "/parties/who-am-i/\(room)") == 401)
        }
    }
}
