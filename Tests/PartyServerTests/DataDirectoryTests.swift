import Foundation
import PartyServer
import PartyServerTesting
import Testing

@Suite("Data directory")
struct DataDirectoryTests {
    @Test(
        "room names that look like paths are stored as data, never as files: nothing is created outside or inside the data directory",
        arguments: ["..", ".", "%2E%2E", "...", "..%5C..%5Cescape", "~root", "C:%5Cx", "rooms.sqlite", "a%20b", "%E2%80%AE", String(repeating: "x", count: 128)]
    )
    func pathLikeNames(name: String) async throws {
        let parent = temporaryDataDirectory()
        let directory = parent + "/data"
        defer { try? FileManager.default.removeItem(atPath: parent) }
        try await withDurableServer(dataDirectory: directory) { (server: PartyTestServer) async throws -> Void in
            #expect(try await server.request("POST", "/parties/scratch/\(name)").text == "memory=1 stored=1")
            #expect(try await server.request("POST", "/parties/scratch/\(name)").text == "memory=2 stored=2")
            #expect(try await server.request("POST", "/parties/scratch/other").text == "memory=1 stored=1")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["data"])
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: directory))
        // The database and the connection token key, whatever the room names.
        #expect(files.isSubset(of: ["rooms.sqlite", "rooms.sqlite-wal", "rooms.sqlite-shm", "control-token.key"]), "\(files)")
        #expect(files.contains("rooms.sqlite"))
    }

    @Test("names with an encoded slash or NUL are refused with 400 and store nothing")
    func refusedNames() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory) { (server: PartyTestServer) async throws -> Void in
            for name in ["..%2F..%2Fetc", "a%2Fb", "%00", "a%00b", "%2F"] {
                #expect(try await server.request("POST", "/parties/scratch/\(name)").status == 400, "\(name)")
            }
            #expect(server.application.registry?.slotCount == 0)
        }
    }
}

@Suite("Full storage")
struct FullStorageTests {
    @Test("a write that does not fit is refused (507 over HTTP, close 1011 over WebSocket), the room is reset, and nothing stored before it is lost")
    func fullDatabase() async throws {
        let directory = temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withDurableServer(dataDirectory: directory, configure: { $0.storage.maxDatabaseBytes = 256 * 1024 }) { (server: PartyTestServer) async throws -> Void in
            let name = uniqueRoom("full")
            #expect(try await server.request("POST", "/parties/scratch/\(name)").text == "memory=1 stored=1")
            let big = String(repeating: "x", count: 400 * 1024)
            let refused = try await server.request("PUT", "/parties/scratch/\(name)", body: big)
            #expect(refused.status == 507)
            #expect(refused.text.contains("storage full"))

            let socket = try await server.webSocket("/parties/notebook/\(name)")
            try await socket.send(text: "put:k=\(big)")
            let close = try await socket.waitForClose()
            #expect(close.code == 1011)
            #expect(close.reason == "storage full: the write was not stored")

            #expect(try await server.request("PUT", "/parties/scratch/\(name)", body: "small").text == "stored 5 bytes")
            // A new instance (its memory starts again at 0); storage kept the first count.
            #expect(try await server.request("POST", "/parties/scratch/\(name)").text == "memory=1 stored=2")
        }
    }
}
