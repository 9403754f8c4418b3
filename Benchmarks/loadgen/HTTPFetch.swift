import NIOCore
import NIOPosix

/// A minimal HTTP/1.1 client for the server's small text endpoints (`/metrics`, the memory
/// probe): one request per connection (`Connection: close`), the whole response read until the
/// server closes, `Content-Length` or chunked bodies.
enum HTTPFetch {
    /// A response: status code and body text.
    struct Response: Sendable {
        var status: Int
        var body: String
    }

    /// Fetches `path` from `target`'s host and port with `method`, within `timeout`.
    static func fetch(
        _ path: String,
        method: String = "GET",
        target: TargetURL,
        on loop: any EventLoop,
        timeout: TimeAmount = .seconds(10)
    ) async throws -> Response {
        let request = "\(method) \(path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        let done = loop.makePromise(of: [UInt8].self)
        let timer = loop.scheduleTask(in: timeout) { done.fail(RunFailure.timeout) }
        defer { timer.cancel() }
        let channel = try await ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(request: request, done: done))
                }
            }
            .connect(to: target.address)
            .get()
        defer { channel.close(promise: nil) }
        let bytes = try await done.futureResult.get()
        return try parse(bytes)
    }

    /// Splits a complete response into status and body.
    static func parse(_ bytes: [UInt8]) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let headEnd = bytes.indices.dropLast(3).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) }) else {
            throw RunFailure.aborted("HTTP response without a complete head")
        }
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self).lowercased()
        let lines = head.split(separator: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("http/1."),
            let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "")
        else {
            throw RunFailure.aborted("bad HTTP status line")
        }
        var body = Array(bytes[(headEnd + 4)...])
        if lines.contains(where: { $0.hasPrefix("transfer-encoding:") && $0.contains("chunked") }) {
            body = try dechunk(body)
        } else if let line = lines.first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingPrefix(" ")), length <= body.count
        {
            body = Array(body.prefix(length))
        }
        return Response(status: status, body: String(decoding: body, as: UTF8.self))
    }

    /// Decodes a chunked body (`SIZE-IN-HEX\r\nDATA\r\n` … `0\r\n\r\n`).
    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = bytes[index...].firstIndex(of: 13), lineEnd + 1 < bytes.count else {
                throw RunFailure.aborted("truncated chunked body")
            }
            let sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingPrefix(" "), radix: 16) else {
                throw RunFailure.aborted("bad chunk size")
            }
            index = lineEnd + 2
            if size == 0 { return out }
            guard index + size <= bytes.count else { throw RunFailure.aborted("truncated chunk") }
            out += bytes[index..<(index + size)]
            index += size + 2
        }
    }
}

/// Writes one request once connected and collects every byte until the server closes.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let request: String
    private let done: EventLoopPromise<[UInt8]>
    private var received: [UInt8] = []

    /// Sends `request`; completes `done` with the whole response.
    init(request: String, done: EventLoopPromise<[UInt8]>) {
        self.request = request
        self.done = done
    }

    /// Writes the request.
    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: request.utf8.count)
        buffer.writeString(request)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        context.fireChannelActive()
    }

    /// Keeps the bytes.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received += buffer.readableBytesView
    }

    /// The server closed: the response is complete.
    func channelInactive(context: ChannelHandlerContext) {
        done.succeed(received)
        context.fireChannelInactive()
    }

    /// Fails the fetch and closes.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.close(promise: nil)
    }
}
