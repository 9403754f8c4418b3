import NIOCore
import NIOHTTP1
import NIOPosix

/// A `GET` of a Server-Sent Events stream on another node, read as it arrives: the control API
/// relays a room's status stream from the node serving the room, and merges every node's feed.
///
/// Used by one task at a time: `open` reads the head, then one call of `relay` or `collect` reads
/// the body (hence unchecked: the iterator it keeps between them is not `Sendable`).
final class UpstreamEventStream: @unchecked Sendable {
    /// The answer's status.
    let status: Int
    /// The answer's headers.
    let headers: HTTPHeaders
    private var parts: AsyncThrowingStream<HTTPClientResponsePart, any Error>.AsyncIterator
    /// Runs the connection; cancelling it closes the connection.
    private let connection: Task<Void, Never>

    private init(status: Int, headers: HTTPHeaders, parts: AsyncThrowingStream<HTTPClientResponsePart, any Error>.AsyncIterator, connection: Task<Void, Never>) {
        self.status = status
        self.headers = headers
        self.parts = parts
        self.connection = connection
    }

    /// Sends `GET target` with `headers` to `host:port` and reads the answer's head. Throws when
    /// the node cannot be reached or closes before answering.
    static func open(host: String, port: Int, target: String, headers: [(String, String)], timeout: Duration) async throws -> UpstreamEventStream {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(timeout))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let (stream, sink) = AsyncThrowingStream.makeStream(of: HTTPClientResponsePart.self)
        let connection = Task { [head] in
            do {
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(.head(head))
                    try await outbound.write(.end(nil))
                    for try await part in inbound { sink.yield(part) }
                }
                sink.finish()
            } catch {
                sink.finish(throwing: error)
            }
        }
        var parts = stream.makeAsyncIterator()
        do {
            guard case .head(let response)? = try await parts.next() else { throw UpstreamClosed() }
            return UpstreamEventStream(status: Int(response.status.code), headers: response.headers, parts: parts, connection: connection)
        } catch {
            connection.cancel()
            throw error
        }
    }

    /// The node closed the stream before answering, or sent more than was asked for.
    struct UpstreamClosed: Error, CustomStringConvertible {
        var description: String { "the node closed the connection before answering" }
    }

    /// Hands each piece of the body to `write` as it arrives, until the node ends it; closes the
    /// connection when done, thrown out or cancelled.
    func relay(_ write: (ByteBuffer) async throws -> Void) async throws {
        defer { close() }
        try await withTaskCancellationHandler {
            while let part = try await parts.next() {
                switch part {
                case .body(let buffer): try await write(buffer)
                case .end: return
                case .head: continue
                }
            }
        } onCancel: {
            close()
        }
    }

    /// The whole body (for an answer that is not a stream, such as an error), at most `limit` bytes.
    func collect(limit: Int) async throws -> ByteBuffer {
        var body = ByteBuffer()
        try await relay { piece in
            guard body.readableBytes + piece.readableBytes <= limit else { throw UpstreamClosed() }
            var piece = piece
            body.writeBuffer(&piece)
        }
        return body
    }

    /// Closes the connection.
    func close() {
        connection.cancel()
    }
}
