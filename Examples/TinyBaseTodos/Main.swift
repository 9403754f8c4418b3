import Foundation
import PartyServer

/// Serves the `Todos` room (`/parties/todos/:name`) on the port in `PORT` (default 1999) until
/// SIGTERM or SIGINT, keeping rooms in `DATA_DIR` (default `.partyserver`).
@main
struct Main {
    static func main() async {
        let environment = ProcessInfo.processInfo.environment
        guard let port = Int(environment["PORT"] ?? "1999"), (0...65535).contains(port) else {
            FileHandle.standardError.write(Data("PORT must be a number from 0 to 65535, got \(environment["PORT"] ?? "")\n".utf8))
            exit(64)
        }
        let app = PartyApplication(configuration: PartyConfiguration(port: port, dataDirectory: environment["DATA_DIR"] ?? ".partyserver"))
        do {
            try app.register(Todos.self, as: "todos")
            try await app.runService()
        } catch {
            FileHandle.standardError.write(Data("tinybase-todos-example: \(error)\n".utf8))
            exit(1)
        }
    }
}
