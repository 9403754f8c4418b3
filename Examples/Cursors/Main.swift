import Foundation
import PartyServer

/// Serves the `Cursors` room on the port in `PORT` (default 1999) until SIGTERM or SIGINT.
@main
struct Main {
    static func main() async {
        let environment = ProcessInfo.processInfo.environment["PORT"]
        guard let port = Int(environment ?? "1999"), (0...65535).contains(port) else {
            FileHandle.standardError.write(Data("PORT must be a number from 0 to 65535, got \(environment ?? "")\n".utf8))
            exit(64)
        }
        let app = PartyApplication(configuration: PartyConfiguration(port: port))
        do {
            try app.register(Cursors.self)  // route name "cursors"
            try await app.runService()
        } catch {
            FileHandle.standardError.write(Data("cursors-example: \(error)\n".utf8))
            exit(1)
        }
    }
}
