import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import PartyServer
import PartyServerTesting
import Synchronization

/// One Server-Sent Event as received.
struct ReceivedEvent: Sendable, Equatable {
    var id: String?
    var data: String

    /// The data parsed as JSON.
    var json: JSONValue { (try? JSONValue.parse(data)) ?? .null }
    /// The `status` field of the data.
    var status: String? { json["status"]?.stringValue }
}

/// A streaming HTTP GET that parses its body as Server-Sent Events as they arrive; tests wait on
/// `events` and `hasEnded` with `waitUntil`.
final class EventStreamClient: Sendable {
    private struct State {
        var status: Int?
        var pending = ""
        var events: [ReceivedEvent] = []
        var comments = 0
        var ended = false
    }

    private let state = Mutex(State())
    private let channelBox = Mutex<(any Channel)?>(nil)

    /// Opens `GET path` on 127.0.0.1:`port` with `headers`; returns once the response head arrived.
    static func open(port: Int, path: String, headers: [(String, String)] = []) async throws -> EventStreamClient {
        let client = EventStreamClient()
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(EventStreamHandler(client: client))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        client.channelBox.withLock { $0 = channel }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: "127.0.0.1:\(port)")
        head.headers.add(name: "Accept", value: "text/event-stream")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        try await waitUntil("the stream's response head arrived") { client.status != nil || client.hasEnded }
        return client
    }

    /// The response status, once the head arrived.
    var status: Int? { state.withLock { $0.status } }
    /// The events received so far.
    var events: [ReceivedEvent] { state.withLock { $0.events } }
    /// The statuses of the events received so far.
    var statuses: [String] { events.compactMap(\.status) }
    /// How many comment lines (heartbeats) arrived.
    var comments: Int { state.withLock { $0.comments } }
    /// Whether the response ended (or the connection closed).
    var hasEnded: Bool { state.withLock { $0.ended } }

    /// Closes the connection.
    func close() {
        channelBox.withLock { $0 }?.close(promise: nil)
    }

    fileprivate func received(status: Int) {
        state.withLock { $0.status = status }
    }

    fileprivate func received(text: String) {
        state.withLock { state in
            state.pending += text
            while let range = state.pending.range(of: "\n\n") {
                let block = state.pending[..<range.lowerBound]
                state.pending = String(state.pending[range.upperBound...])
                var id: String?
                var data: [String] = []
                for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix(":") {
                        state.comments += 1
                    } else if line.hasPrefix("id: ") {
                        id = String(line.dropFirst(4))
                    } else if line.hasPrefix("data: ") {
                        data.append(String(line.dropFirst(6)))
                    }
                }
                if !data.isEmpty { state.events.append(ReceivedEvent(id: id, data: data.joined(separator: "\n"))) }
            }
        }
    }

    fileprivate func ended() {
        state.withLock { $0.ended = true }
    }
}

/// Feeds a response into an `EventStreamClient`.
private final class EventStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let client: EventStreamClient

    init(client: EventStreamClient) {
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            client.received(status: Int(head.status.code))
        case .body(let buffer):
            client.received(text: String(buffer: buffer))
        case .end:
            client.ended()
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.ended()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        client.ended()
        context.close(promise: nil)
    }
}
