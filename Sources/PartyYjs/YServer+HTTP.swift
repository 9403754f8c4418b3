import HTTPTypes
import NIOCore
import PartyRuntime

extension YServer {
    /// Answers `GET` with the document as one update (format v1, `application/octet-stream`)
    /// and anything else with 405. For an `onRequest` that serves the document.
    public func yjsDocumentResponse(_ request: Request) async throws -> Response {
        try await yjsStart()
        guard request.method == .get else {
            var response = Response.error(.methodNotAllowed, "only GET reads the document")
            response.headers[.allow] = "GET"
            return response
        }
        return Response(headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: yjs.document.encode()))
    }
}
