import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Control: a room record that cannot be stored")
struct ControlNotStoredTests {
    @Test("a spawn whose record does not fit in the database answers 503 not-stored and leaves no room and no key behind")
    func spawnRolledBack() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await startDurableControlServer(dataDirectory: directory, configure: { $0.storage.maxDatabaseBytes = 256 * 1024 })
        try await server.shuttingDown { server in
            // Fill the database until a 40 KiB write no longer fits.
            let blob = String(repeating: "b", count: 40 * 1024)
            var filled = false
            for _ in 0..<16 where !filled {
                filled = try await server.request("PUT", "/parties/scratch/\(uniqueRoom("fill"))", body: blob).status == 507
            }
            #expect(filled)

            let env = String(repeating: "e", count: 60 * 1024)
            let refused = try await server.control("POST", "/connect", json: ["server": "session", "key": "big", "spawn": ["env": ["pad": .string(env)]]])
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "1")
            let body = try JSONValue.parse(refused.text)
            #expect(body["code"] == "not-stored")
            #expect(body["error"]?.stringValue?.contains("try again") == true)

            #expect(try await server.control("POST", "/connect", json: ["server": "session", "key": "big", "spawn": false]).status == 409)
            let sessions = try JSONValue.parse(try await server.control("GET", "/rooms?server=session").text)
            #expect(sessions["rooms"]?.arrayValue?.isEmpty == true)
        }
    }
}
