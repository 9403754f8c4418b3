import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Control: the connection token key")
struct ControlTokenKeyTests {
    private static let keyA = "key-a-" + String(repeating: "a", count: 40)
    private static let keyB = "key-b-" + String(repeating: "b", count: 40)

    @Test("without a configured key, control-token.key is made with 32 random bytes and mode 0600; a file others can read gets 0600 at the next start")
    func keyFile() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/control-token.key"
        let token = try await startDurableControlServer(dataDirectory: directory).shuttingDown { server in
            let answer = try await server.connect(["server": "session", "spawn": [:], "user": "alice"])
            return (name: try #require(answer["name"]?.stringValue), token: try #require(answer["token"]?.stringValue))
        }
        let key = try #require(FileManager.default.contents(atPath: path))
        #expect(key.count == 32)
        #expect(try Self.mode(path) == 0o600)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        try await startDurableControlServer(dataDirectory: directory).shuttingDown { server async throws in
            #expect(try Self.mode(path) == 0o600)
            #expect(FileManager.default.contents(atPath: path) == key)
            #expect(try await server.request("GET", "/parties/session/\(token.name)?token=\(token.token)").status == 200)
        }
    }

    @Test("a configured key signs tokens (and no key file is made); after a rotation previousTokenSigningKeys still verify its tokens, until it is dropped")
    func rotation() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await startDurableControlServer(dataDirectory: directory, configure: { $0.control.tokenSigningKey = Self.keyA }).shuttingDown { server in
            let answer = try await server.connect(["server": "session", "key": "rotated", "spawn": [:], "user": "alice"])
            return (name: try #require(answer["name"]?.stringValue), token: try #require(answer["token"]?.stringValue))
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/control-token.key"))
        let path = "/parties/session/\(first.name)"

        let second = try await startDurableControlServer(dataDirectory: directory, configure: { configuration in
            configuration.control.tokenSigningKey = Self.keyB
            configuration.control.previousTokenSigningKeys = [Self.keyA]
        }).shuttingDown { server in
            #expect(try await server.request("GET", path + "?token=\(first.token)").status == 200)
            let answer = try await server.connect(["server": "session", "key": "rotated", "spawn": false, "user": "bob"])
            let token = try #require(answer["token"]?.stringValue)
            #expect(Self.keyID(token) != Self.keyID(first.token))
            #expect(try await server.request("GET", path + "?token=\(token)").text == "notes= user=bob")
            return token
        }

        try await startDurableControlServer(dataDirectory: directory, configure: { $0.control.tokenSigningKey = Self.keyB }).shuttingDown { server async throws in
            #expect(try await server.request("GET", path + "?token=\(first.token)").status == 401)
            #expect(try await server.request("GET", path + "?token=\(second)").status == 200)
        }
    }

    @Test("a key shorter than 32 bytes, or a key file that is too short, stops the server at start with an error that says what to do")
    func shortKeysRefused() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for configure in [
            { (configuration: inout PartyConfiguration) in configuration.control.tokenSigningKey = "too-short" },
            { (configuration: inout PartyConfiguration) in configuration.control.previousTokenSigningKeys = ["short"] },
        ] {
            let error = await #expect(throws: ControlError.self) {
                _ = try await startDurableControlServer(dataDirectory: directory, configure: configure)
            }
            #expect(error?.description.contains("at least 32 random bytes") == true, "\(String(describing: error))")
        }

        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/control-token.key"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("short".utf8), attributes: [.posixPermissions: 0o600]))
        let error = await #expect(throws: ControlError.self) {
            _ = try await startDurableControlServer(dataDirectory: directory)
        }
        let message = error?.description ?? ""
        #expect(message.contains(path) && message.contains("5 bytes") && message.contains("delete it"), "\(message)")
    }

    /// The permission bits of the file at `path`.
    private static func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) & 0o777
    }

    /// The `kid` in a token's header.
    private static func keyID(_ token: String) -> String? {
        guard let header = token.split(separator: ".").first else { return nil }
        var base64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["kid"] as? String
    }
}
