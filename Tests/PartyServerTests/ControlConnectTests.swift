import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Control: connect")
struct ControlConnectTests {
    @Test("without an API key the control API answers 404; with one, a missing or wrong key gets 401")
    func apiKeyRequired() async throws {
        try await withControlServer(apiKey: nil) { server in
            let list = try await server.control("GET", "/rooms")
            #expect(list.status == 404)
            #expect(try await server.control("POST", "/connect", json: ["server": "session", "spawn": [:]]).status == 404)
            #expect(try await server.control("GET", "/").status == 404)
            #expect(try await server.request("GET", "/_party/?key=\(controlKey)").status == 404)
        }
        try await withControlServer { server in
            let missing = try await server.control("GET", "/rooms", key: "")
            #expect(missing.status == 401)
            #expect(missing.header("WWW-Authenticate") == "Bearer")
            #expect(try await server.control("GET", "/rooms", key: controlKey + "x").status == 401)
            #expect(try await server.control("GET", "/rooms", key: String(controlKey.dropLast())).status == 401)
            #expect(try await server.control("POST", "/connect", json: ["server": "session", "spawn": [:]], key: "wrong").status == 401)
            #expect(try await server.control("GET", "/rooms").status == 200)
            // Nothing was created by the refused calls.
            #expect(try JSONValue.parse(try await server.control("GET", "/rooms").text)["rooms"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test("printing or dumping a configuration never shows the API key")
    func keyIsRedacted() {
        var configuration = PartyConfiguration()
        configuration.control.apiKey = "do-not-print-me"
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in [String(describing: configuration), String(reflecting: configuration), "\(configuration.control)", dumped] {
            #expect(!text.contains("do-not-print-me"))
            #expect(text.contains("<redacted>"))
        }
    }

    @Test("a control prefix that overlaps the rooms' prefix, or a zero startup timeout, stops the server from starting")
    func invalidConfiguration() async throws {
        var overlapping = PartyConfiguration()
        overlapping.control.apiKey = controlKey
        overlapping.control.prefix = "parties"
        await #expect(throws: ControlError.self) { _ = try await PartyTestServer.start(configuration: overlapping) { try $0.register(Session.self) } }
        var instant = PartyConfiguration()
        instant.control.startupTimeout = .zero
        await #expect(throws: ControlError.self) { _ = try await PartyTestServer.start(configuration: instant) { try $0.register(Session.self) } }
        var nested = PartyConfiguration()
        nested.control.apiKey = controlKey
        nested.control.prefix = "parties/admin"
        await #expect(throws: ControlError.self) { _ = try await PartyTestServer.start(configuration: nested) { try $0.register(Session.self) } }
    }

    @Test("the inspector signs in with ?key= (a cookie, never the key) and the cookie alone cannot make changes")
    func inspectorSignIn() async throws {
        try await withControlServer { server in
            #expect(try await server.request("GET", "/_party/").status == 401)
            #expect(try await server.request("GET", "/_party/?key=nope").status == 401)
            let signIn = try await server.request("GET", "/_party/?key=\(controlKey)")
            #expect(signIn.status == 303)
            #expect(signIn.header("Location") == "/_party/")
            let setCookie = try #require(signIn.header("Set-Cookie"))
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
            #expect(!setCookie.contains(controlKey))
            let cookie = String(setCookie.prefix { $0 != ";" })
            let page = try await server.request("GET", "/_party/", headers: [("Cookie", cookie)])
            #expect(page.status == 200)
            #expect(page.text.contains("PartyServer rooms"))
            #expect(try await server.request("GET", "/_party/rooms", headers: [("Cookie", cookie)]).status == 200)

            let room = try await server.connect(["server": "session", "spawn": [:]])
            let name = try #require(room["name"]?.stringValue)
            let forged = try await server.request("POST", "/_party/rooms/session/\(name)/terminate", headers: [("Cookie", cookie)], body: "{}")
            #expect(forged.status == 401)
            #expect(try await server.roomStatus("session", name)["status"]?.stringValue != "terminated")
            let fromPage = try await server.request(
                "POST", "/_party/rooms/session/\(name)/terminate", headers: [("Cookie", cookie), ("X-Party-Inspector", "1")], body: "{}"
            )
            #expect(fromPage.status == 200)
            #expect(try JSONValue.parse(fromPage.text)["status"]?.stringValue == "terminated")
        }
    }

    @Test("spawn without a key creates a new room with a generated name on every call")
    func spawnOnly() async throws {
        try await withControlServer { server in
            let first = try await server.connect(["server": "session", "spawn": [:]])
            let second = try await server.connect(["server": "Session", "spawn": [:]])
            let firstName = try #require(first["name"]?.stringValue)
            let secondName = try #require(second["name"]?.stringValue)
            #expect(firstName != secondName)
            #expect(first["spawned"] == true && second["spawned"] == true)
            #expect(first["server"] == "session" && second["server"] == "session")
            #expect(first["room_id"]?.stringValue == "session/\(firstName)")
            #expect(first["token"] == .null)
            #expect(first["key"] == .null)
            try await waitForStatus(server, firstName, "ready")
            try await waitForStatus(server, secondName, "ready")
        }
    }

    @Test("a key with spawn false finds the live room holding it, or answers 409 key-unheld")
    func keyOnly() async throws {
        try await withControlServer { server in
            let unheld = try await server.control("POST", "/connect", json: ["server": "session", "key": "doc-1", "spawn": false])
            #expect(unheld.status == 409)
            #expect(try JSONValue.parse(unheld.text)["code"] == "key-unheld")
            #expect(try JSONValue.parse(try await server.control("GET", "/rooms").text)["rooms"]?.arrayValue?.isEmpty == true)

            let created = try await server.connect(["server": "session", "key": "doc-1", "spawn": [:]])
            let found = try await server.connect(["server": "session", "key": "doc-1", "spawn": false])
            #expect(found["name"] == created["name"])
            #expect(found["spawned"] == false)
            #expect(found["key"] == "doc-1")
            // Keys are per server type.
            #expect(try await server.control("POST", "/connect", json: ["server": "notebook", "key": "doc-1", "spawn": false]).status == 409)
        }
    }

    @Test("key and spawn get or create, and the answer's URLs reach the room")
    func getOrCreate() async throws {
        try await withControlServer { server in
            let created = try await server.connect(["server": "session", "key": "match-7", "spawn": ["env": ["mode": "ranked"]]])
            let again = try await server.connect(["server": "session", "key": "match-7", "spawn": ["env": ["mode": "other"]]])
            let name = try #require(created["name"]?.stringValue)
            #expect(created["spawned"] == true)
            #expect(again["spawned"] == false)
            #expect(again["name"]?.stringValue == name)
            #expect(created["url"]?.stringValue == "ws://127.0.0.1:\(server.port)/parties/session/\(name)")
            let statusURL = "http://127.0.0.1:\(server.port)/_party/rooms/session/\(name)/status"
            #expect(created["status_url"]?.stringValue == statusURL)
            #expect(created["ready_url"]?.stringValue == statusURL + "?wait=ready")

            let ready = try await TestHTTPClient.get(url: try #require(created["ready_url"]?.stringValue), headers: [("Authorization", "Bearer \(controlKey)")])
            #expect(try JSONValue.parse(ready.text)["status"] == "ready")
            let socket = try await server.webSocket(answer: created)
            #expect(try await socket.nextText() == "hello - -")
            try await socket.send(text: "env")
            #expect(try await socket.nextText() == "mode=ranked")
            #expect(Recorder.shared.count(name, "init") == 1)
        }
    }

    @Test("100 concurrent connects with one key create one room, and exactly one reports spawned")
    func concurrentConnects() async throws {
        try await withControlServer { server in
            let answers = try await withThrowingTaskGroup(of: JSONValue.self) { group in
                for _ in 0..<100 {
                    group.addTask { try await server.connect(["server": "session", "key": "crowd", "spawn": [:]]) }
                }
                var answers: [JSONValue] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
            #expect(answers.count == 100)
            #expect(Set(answers.compactMap { $0["name"]?.stringValue }).count == 1)
            #expect(answers.filter { $0["spawned"] == true }.count == 1)
            let name = try #require(answers.first?["name"]?.stringValue)
            try await waitForStatus(server, name, "ready")
            #expect(Recorder.shared.count(name, "init") == 1)
            let rooms = try JSONValue.parse(try await server.control("GET", "/rooms?server=session").text)["rooms"]?.arrayValue ?? []
            #expect(rooms.count == 1)
            #expect(rooms.first?["key"] == "crowd")
        }
    }

    @Test("connect says what is wrong with its input")
    func invalidInput() async throws {
        try await withControlServer { server in
            func failure(_ body: String) async throws -> (Int, String?) {
                let response = try await server.request(
                    "POST", "/_party/connect", headers: [("Authorization", "Bearer \(controlKey)"), ("Content-Type", "application/json")], body: body
                )
                return (response.status, try? JSONValue.parse(response.text)["code"]?.stringValue)
            }
            let nothing = try await failure(#"{"server":"session","spawn":false}"#)
            #expect(nothing == (400, "nothing-to-connect"))
            #expect(try await failure(#"{"server":"session","spawn":"yes"}"#) == (400, "invalid-json"))
            #expect(try await failure(#"{"server":"nope","spawn":{}}"#) == (404, "unknown-server"))
            #expect(try await failure(#"{"server":"session","spawn":{"lifetime_limit_seconds":0}}"#) == (400, "invalid-argument"))
            #expect(try await failure(#"{"server":"session","spawn":{"max_idle_seconds":-5}}"#) == (400, "invalid-argument"))
            #expect(try await failure(#"{"server":"session","spawn":{},"auth":{"a":1}}"#) == (400, "invalid-argument"))
            #expect(try await failure(#"{"server":"session","key":"","spawn":{}}"#) == (400, "invalid-argument"))
            // Several server types and no default: the request must name one.
            #expect(try await failure(#"{"spawn":{}}"#) == (400, "invalid-argument"))
            #expect(try await failure("not json") == (400, "invalid-json"))
            let wrongMethod = try await server.control("GET", "/connect")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("Allow") == "POST")
            #expect(try JSONValue.parse(wrongMethod.text)["code"] == "method-not-allowed")
            #expect(try await server.control("GET", "/rooms/session/nobody/status").status == 404)
            #expect(try await server.control("GET", "/nothing-here").status == 404)
        }
    }
}
