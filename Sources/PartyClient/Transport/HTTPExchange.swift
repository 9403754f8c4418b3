import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP/1.1 request and its response over a fresh connection (`Connection: close`), for `fetch`.
package enum HTTPExchange {
    /// Everything one request needs.
    package struct Request: Sendable {
        /// The host to connect to.
        package var host: String
        /// Its port.
        package var port: Int
        /// The `Host` header value.
        package var authority: String
        /// The TLS context for https, nil for http.
        package var tls: NIOSSLContext?
        /// The request method.
        package var method: String
        /// The request target: path and query.
        package var target: String
        /// Extra headers (already validated).
        package var headers: [(String, String)]
        /// The body, if any.
        package var body: Data?
        /// Largest response body read.
        package var maxResponseSize: Int
        /// How long connecting may take.
        package var connectTimeout: Duration

        /// A request with every part given.
        package init(
            host: String, port: Int, authority: String, tls: NIOSSLContext?, method: String, target: String,
            headers: [(String, String)], body: Data?, maxResponseSize: Int, connectTimeout: Duration
        ) {
            self.host = host
            self.port = port
            self.authority = authority
            self.tls = tls
            self.method = method
            self.target = target
            self.headers = headers
            self.body = body
            self.maxResponseSize = maxResponseSize
            self.connectTimeout = connectTimeout
        }
    }

    /// Sends `request` and reads the whole response. Cancelling the task closes the connection.
    package static func perform(_ request: Request) async throws -> PartyFetchResponse {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let slot = ChannelSlot()
        let response = loop.makePromise(of: PartyFetchResponse.self)
        defer { response.fail(CancellationError()) }  // no-op once completed

        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(request.connectTimeout))
            .channelInitializer { channel in
                guard slot.register(channel) else {
                    return channel.eventLoop.makeFailedFuture(CancellationError())
                }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls = request.tls {
                        let isAddress = (try? SocketAddress(ipAddress: request.host, port: 0)) != nil
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : request.host))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(HTTPResponseReader(promise: response, limit: request.maxResponseSize))
                }
            }

        return try await withTaskCancellationHandler {
            let channel = try await bootstrap.connect(host: request.host, port: request.port).get()
            var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: request.target)
            if !request.headers.contains(where: { $0.0.lowercased() == "host" }) {
                head.headers.add(name: "Host", value: request.authority)
            }
            for (name, value) in request.headers {
                head.headers.add(name: name, value: value)
            }
            head.headers.add(name: "Connection", value: "close")
            let body = request.body ?? Data()
            if !body.isEmpty || !["GET", "HEAD", "DELETE", "OPTIONS"].contains(request.method) {
                head.headers.add(name: "Content-Length", value: String(body.count))
            }
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if !body.isEmpty {
                channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            return try await response.futureResult.get()
        } onCancel: {
            slot.cancel()
            response.fail(CancellationError())
        }
    }
}
