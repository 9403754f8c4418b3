import Hummingbird

/// Adapts Hummingbird's request/response types to `PartyFront`.
struct PartyHTTPResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let front: PartyFront

    func respond(to request: Hummingbird.Request, context: Context) async throws -> Hummingbird.Response {
        var request = request
        let response = await front.respond(
            method: request.method,
            target: request.head.path ?? "/",
            headers: request.headers
        ) { limit in
            try await request.collectBody(upTo: limit)
        }
        return Hummingbird.Response(status: response.status, headers: response.headers, body: .init(byteBuffer: response.body))
    }
}
