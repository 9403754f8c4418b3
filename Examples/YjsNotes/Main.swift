import Foundation
import PartyServer

/// Serves the `Notes` room (`/parties/notes/:name`) and its page (`/`) on the port in `PORT`
/// (default 1999) until SIGTERM or SIGINT, keeping rooms in `DATA_DIR` (default `.partyserver`)
/// and loading Yjs for the page from `NODE_MODULES` (default `/usr/share/nodejs`, where Debian's
/// node-yjs and node-y-websocket install it).
@main
struct Main {
    static func main() async {
        let environment = ProcessInfo.processInfo.environment
        guard let port = Int(environment["PORT"] ?? "1999"), (0...65535).contains(port) else {
            FileHandle.standardError.write(Data("PORT must be a number from 0 to 65535, got \(environment["PORT"] ?? "")\n".utf8))
            exit(64)
        }
        let configuration = PartyConfiguration(port: port, dataDirectory: environment["DATA_DIR"] ?? ".partyserver")
        let app = PartyApplication(configuration: configuration)
        do {
            try app.register(Notes.self, as: "notes")
            let modules = ModuleFiles(directory: URL(fileURLWithPath: environment["NODE_MODULES"] ?? "/usr/share/nodejs"))
            try app.fallback { request in try await modules.respond(to: request) }
            try await app.runService()
        } catch {
            FileHandle.standardError.write(Data("yjs-notes-example: \(error)\n".utf8))
            exit(1)
        }
    }
}
