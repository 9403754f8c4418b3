import CoreMetrics
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import PartyCluster
import ServiceLifecycle

/// The control API on a node of a cluster: a room's requests are answered by the node serving the
/// room (forwarded there, status streams relayed), `GET /rooms` and `GET /events` gather every
/// live node's rooms and statuses. A request another node forwarded is answered here only.
extension ControlAPI {
    /// The `Host` a client sent to the first node, so that the URLs in the answer name that node.
    static let originalHostHeader = HTTPField.Name("x-partyserver-host")!
    /// Largest answer read from another node for `GET /rooms`.
    static let maxForwardedList = 64 * 1024 * 1024

    /// The authority the answer's URLs use: the client's, also when another node forwarded the request.
    static func clientAuthority(_ authority: String?, headers: HTTPFields) -> String? {
        guard headers[PartyFront.forwardedByHeader] != nil, let original = headers[originalHostHeader] else { return authority }
        return original
    }

    /// The room's status, status stream or termination, from the node serving the room; nil when
    /// that is this node (or without a cluster).
    func forwardRoomRequest(
        _ route: ControlRoute, method: HTTPRequest.Method, target: String, authority: String?, headers: HTTPFields,
        readBody: (Int) async throws -> ByteBuffer
    ) async throws(ControlError) -> ControlReply? {
        guard let front, front.edge.cluster != nil else { return nil }
        let key: RoomKey
        switch (route, method) {
        case (.status(let server, let name), .get), (.statusStream(let server, let name), .get), (.terminate(let server, let name), .post):
            key = RoomKey(server: server, name: name)
        default:
            return nil
        }
        switch await front.location(of: key, headers: headers) {
        case nil, .local?:
            return nil
        case .unavailable(let reason)?:
            throw .clusterUnavailable(reason)
        case .remote(let node, let address)?:
            if case .statusStream = route {
                return await relayStream(target: target, headers: forwardable(headers, authority: authority), to: node, at: address)
            }
            let body = method == .post ? try await Self.body(readBody) : ByteBuffer()
            return .response(await forward(method: method, target: target, authority: authority, headers: headers, body: body, to: node, at: address))
        }
    }

    /// Sends a control request to another node and returns its answer.
    func forward(
        method: HTTPRequest.Method, target: String, authority: String?, headers: HTTPFields, body: ByteBuffer, to node: String, at address: String
    ) async -> Response {
        guard let front else { return Self.response(for: ControlError.clusterUnavailable("no cluster")) }
        return await front.forward(method: method, target: target, headers: forwardable(headers, authority: authority), body: body, to: node, at: address)
    }

    /// `headers` with the client's `Host` for the next node.
    private func forwardable(_ headers: HTTPFields, authority: String?) -> HTTPFields {
        var headers = headers
        if headers[Self.originalHostHeader] == nil, let authority { headers[Self.originalHostHeader] = authority }
        return headers
    }

    /// Relays a status stream from the node serving the room, until that node ends it (the room
    /// terminated, or the node stopped: an `EventSource` then reconnects with `Last-Event-ID`
    /// and reaches the room's next node).
    private func relayStream(target: String, headers: HTTPFields, to node: String, at address: String) async -> ControlReply {
        guard let front, let upstream = await open(target: target, headers: headers, to: node, at: address) else {
            return .response(Self.response(for: ControlError.clusterUnavailable("the room's node \(node) did not answer")))
        }
        guard upstream.status == 200 else {
            let body = (try? await upstream.collect(limit: Self.maxBodySize)) ?? ByteBuffer()
            var response = Response(status: HTTPResponse.Status(code: upstream.status), body: body)
            response.headers[.contentType] = upstream.headers.first(name: "content-type") ?? "application/json"
            return .response(response)
        }
        front.edge.cluster?.metrics.forwardedRequests.increment()
        return .stream(headers: ServerSentEvents.headers) { write in
            try await withGracefulShutdownHandler {
                try await upstream.relay(write)
            } onGracefulShutdown: {
                upstream.close()
            }
        }
    }

    /// Opens an event stream on another node; nil (logged) when it cannot be reached.
    private func open(target: String, headers: HTTPFields, to node: String, at address: String) async -> UpstreamEventStream? {
        guard let front, let (host, port) = PartyFront.split(address) else { return nil }
        do {
            return try await UpstreamEventStream.open(host: host, port: port, target: target, headers: front.forwardedHeaders(headers), timeout: .seconds(5))
        } catch {
            logger.warning("could not open an event stream on another node", metadata: ["node": "\(node)", "address": "\(address)", "error": "\(error)"])
            return nil
        }
    }

    /// The live nodes other than this one; nil without a cluster or for a forwarded request.
    private func otherNodes(_ headers: HTTPFields) async throws(ControlError) -> [NodeMembership.Member]? {
        guard let cluster = front?.edge.cluster, PartyFront.hops(headers) == 0 else { return nil }
        do {
            return try await cluster.membership.liveMembers().filter { $0.id != cluster.nodeID }
        } catch {
            throw .clusterUnavailable("the live nodes cannot be read: \(error)")
        }
    }

    /// `GET /rooms` on a node of a cluster: this node's rooms and every other live node's, the
    /// latest entry per room, newest first, at most `limit`.
    func clusterList(query: [(name: String, value: String)], target: String, authority: String?, headers: HTTPFields) async throws(ControlError) -> Response? {
        guard let others = try await otherNodes(headers) else { return nil }
        let local = try list(query: query)
        let answers = await withTaskGroup(of: Response.self) { group in
            for node in others {
                group.addTask {
                    await forward(method: .get, target: target, authority: authority, headers: headers, body: ByteBuffer(), to: node.id, at: node.address)
                }
            }
            var answers: [Response] = []
            for await answer in group { answers.append(answer) }
            return answers
        }
        var latest: [String: [String: Any]] = [:]
        for answer in [local] + answers {
            guard answer.status == .ok,
                let object = try? JSONSerialization.jsonObject(with: Data(answer.body.readableBytesView)) as? [String: Any],
                let entries = object["rooms"] as? [[String: Any]]
            else {
                if answer.status != .ok { logger.warning("a node did not list its rooms", metadata: ["status": "\(answer.status.code)"]) }
                continue
            }
            for entry in entries {
                let id = "\(entry["server"] ?? "")/\(entry["name"] ?? "")"
                if let known = latest[id], Self.time(known) >= Self.time(entry) { continue }
                latest[id] = entry
            }
        }
        let limit = query.first { $0.name == "limit" }.flatMap { Int($0.value) } ?? 1000
        let rooms = latest.values.sorted { (Self.time($0), "\($0["name"] ?? "")") > (Self.time($1), "\($1["name"] ?? "")") }.prefix(limit)
        let data = (try? JSONSerialization.data(withJSONObject: ["rooms": Array(rooms)], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: data))
    }

    private static func time(_ entry: [String: Any]) -> String {
        entry["time"] as? String ?? ""
    }

    /// `GET /events` on a node of a cluster: this node's status changes merged with those of the
    /// nodes live when the stream opens.
    func clusterEvents(target: String, headers: HTTPFields) async throws(ControlError) -> ControlReply? {
        guard let others = try await otherNodes(headers) else { return nil }
        let local = try rooms.allStatusUpdates()
        var upstreams: [UpstreamEventStream] = []
        for node in others {
            if let upstream = await open(target: target, headers: headers, to: node.id, at: node.address), upstream.status == 200 {
                upstreams.append(upstream)
            }
        }
        let heartbeat = configuration.streamHeartbeat
        let clock = self.clock
        return .stream(headers: ServerSentEvents.headers) { [upstreams] write in
            let (merged, sink) = AsyncStream.makeStream(of: ByteBuffer.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Ends at graceful shutdown, which ends the merged stream.
                    try? await ServerSentEvents.pump(local, withIDs: false, heartbeat: heartbeat, clock: clock) { sink.yield($0) }
                    sink.finish()
                }
                for upstream in upstreams {
                    group.addTask {
                        var splitter = EventStreamSplitter()
                        try? await upstream.relay { piece in
                            for event in splitter.append(piece) { sink.yield(event) }
                        }
                    }
                }
                defer {
                    group.cancelAll()
                    for upstream in upstreams { upstream.close() }
                }
                for await chunk in merged {
                    try await write(chunk)
                }
            }
        }
    }
}
