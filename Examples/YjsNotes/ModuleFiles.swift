import Foundation
import PartyServer

/// Serves the page (`GET /`) and the JavaScript modules it imports (`GET /modules/...`) from a
/// directory of Node packages: Debian's `node-yjs`, `node-y-websocket`, `node-y-protocols`,
/// `node-lib0` and `node-isomorphic.js` put Yjs there as plain ES modules (`/usr/share/nodejs`).
struct ModuleFiles: Sendable {
    /// Where the packages are.
    let directory: URL

    /// Answers `/`, `/modules/<package>/<path>` (adding `.js` when the file has no extension, as
    /// the packages' imports leave it out) and 404 for anything else.
    func respond(to request: Request) async throws -> Response {
        if request.path == "/" { return .html(NotesPage.html) }
        guard request.path.hasPrefix("/modules/") else { return .error(.notFound, "no such page") }
        let relative = String(request.path.dropFirst("/modules/".count))
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.isEmpty, !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." || $0.hasPrefix(".") }) else {
            return .error(.notFound, "no such module")
        }
        var file = directory.appendingPathComponent(relative)
        if file.pathExtension.isEmpty || !FileManager.default.fileExists(atPath: file.path) {
            file = directory.appendingPathComponent(relative + ".js")
        }
        guard let data = FileManager.default.contents(atPath: file.path) else { return .error(.notFound, "no such module") }
        var response = Response(body: .init(bytes: data))
        response.headers[.contentType] = "text/javascript; charset=utf-8"
        return response
    }
}
