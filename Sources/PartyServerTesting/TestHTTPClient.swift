import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 client on SwiftNIO: one connection per request, `Connection: close`.
public struct TestHTTPClient: Sendable {
    /// Sends `method path` to `host:port` and returns the complete response.
    ///
    /// `Host`, `Connection: close` and (when there is a body, or for POST/PUT/PATCH) `Content-Length`
    /// are added unless `headers` already has them.
    public static func request(
        _ method: String = "GET",
        host: String = "127.0.0.1",
        port: Int,
        path: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(10)
    ) async throws -> TestHTTPResponse {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: TestHTTPResponse.self)

        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPResponseCollector(promise: promise))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            promise.fail(error)
            if case ChannelError.connectTimeout = error { throw TestWebSocketError.timeout }
            throw error
        }

        let timer = loop.scheduleTask(deadline: deadline) {
            promise.fail(TestWebSocketError.timeout)
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }

        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path.isEmpty ? "/" : path)
        head.headers = Self.requestHeaders(method: method, host: host, port: port, headers: headers, bodyLength: body?.count)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body, !body.isEmpty {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)

        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }

    /// Sends `method path` with a UTF-8 string body.
    public static func request(
        _ method: String = "GET",
        host: String = "127.0.0.1",
        port: Int,
        path: String,
        headers: [(String, String)] = [],
        body: String,
        timeout: Duration = .seconds(10)
    ) async throws -> TestHTTPResponse {
        try await request(method, host: host, port: port, path: path, headers: headers, body: Array(body.utf8), timeout: timeout)
    }

    /// Sends `method` to an `http://host:port/path?query` URL.
    public static func request(
        _ method: String = "GET",
        url: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(10)
    ) async throws -> TestHTTPResponse {
        let parsed = try TestURL.parse(url, schemes: ["http"])
        return try await request(
            method, host: parsed.host, port: parsed.port, path: parsed.path, headers: headers, body: body, timeout: timeout
        )
    }

    /// Sends a GET to an `http://host:port/path?query` URL.
    public static func get(url: String, headers: [(String, String)] = [], timeout: Duration = .seconds(10)) async throws -> TestHTTPResponse {
        try await request("GET", url: url, headers: headers, timeout: timeout)
    }

    /// The request headers: the caller's, plus defaults for those it did not supply.
    static func requestHeaders(method: String, host: String, port: Int, headers: [(String, String)], bodyLength: Int?) -> HTTPHeaders {
        var result = HTTPHeaders()
        let supplied = Set(headers.map { $0.0.lowercased() })
        if !supplied.contains("host") {
            result.add(name: "Host", value: TestURL.hostHeader(host: host, port: port))
        }
        if !supplied.contains("connection") {
            result.add(name: "Connection", value: "close")
        }
        let needsLength = bodyLength != nil || ["POST", "PUT", "PATCH"].contains(method.uppercased())
        if needsLength && !supplied.contains("content-length") && !supplied.contains("transfer-encoding") {
            result.add(name: "Content-Length", value: String(bodyLength ?? 0))
        }
        for (name, value) in headers {
            result.add(name: name, value: value)
        }
        return result
    }
}
