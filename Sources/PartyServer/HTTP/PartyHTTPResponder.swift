import Hummingbird
import NIOCore

/// Adapts Hummingbird's request/response types to `PartyFront` (and the control API, whose
/// status streams need a streamed body).
struct PartyHTTPResponder: HTTPResponder {
    typealias Context = PartyRequestContext

    let front: PartyFront
    /// The session control API, when an API key is configured.
    let control: ControlAPI?

    func respond(to request: Hummingbird.Request, context: Context) async throws -> Hummingbird.Response {
        var request = request
        if let reply = await front.respondToClusterCall(
            method: request.method, target: request.head.path ?? "/", headers: request.headers,
            readBody: { limit in try await request.collectBody(upTo: limit) }
        ) {
            return Hummingbird.Response(status: reply.status, headers: reply.headers, body: .init(byteBuffer: reply.body))
        }
        if let control, let reply = await control.respond(
            method: request.method, target: request.head.path ?? "/", authority: request.head.authority, headers: request.headers,
            readBody: { limit in try await request.collectBody(upTo: limit) }
        ) {
            switch reply {
            case .response(let response):
                return Hummingbird.Response(status: response.status, headers: response.headers, body: .init(byteBuffer: response.body))
            case .stream(let headers, let produce):
                return Hummingbird.Response(status: .ok, headers: headers, body: ResponseBody { writer in
                    try await produce { buffer in try await writer.write(buffer) }
                    try await writer.finish(nil)
                })
            }
        }
        let response = await front.respond(
            method: request.method,
            target: request.head.path ?? "/",
            headers: request.headers,
            peer: context.remoteAddress?.ipAddress
        ) { limit in
            try await request.collectBody(upTo: limit)
        }
        return Hummingbird.Response(status: response.status, headers: response.headers, body: .init(byteBuffer: response.body))
    }
}

/// The request context of the server's HTTP requests: Hummingbird's basics and the peer's address.
struct PartyRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    /// The address of the peer that sent the request.
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
