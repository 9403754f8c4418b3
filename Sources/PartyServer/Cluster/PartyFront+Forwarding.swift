import CoreMetrics
import Foundation
import HTTPTypes
import NIOCore
import PartyClient

extension PartyFront {
    /// The header a forwarding node adds, naming itself.
    static let forwardedByHeader = HTTPField.Name("x-partyserver-forwarded-by")!
    /// How many nodes forwarded the request so far.
    static let hopsHeader = HTTPField.Name("x-partyserver-hops")!
    /// Most forwards one request takes: one to the node a new room is placed on, and one more
    /// when another node took the room first.
    static let maxHops = 2

    /// Request headers that concern one connection only, not the request.
    static let hopByHopHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host",
        "content-length", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
        "x-partyserver-forwarded-by", "x-partyserver-hops",
    ]

    /// Where the room is served, or `nil` when here (always, without a cluster). A request another
    /// node forwarded is not placed again: it is served here or sent on to the lease holder, at
    /// most ``maxHops`` forwards in all.
    func location(of key: RoomKey, headers: HTTPFields) async -> RoomLocation? {
        guard let cluster = edge.cluster else { return nil }
        let hops = Self.hops(headers)
        switch await cluster.ownership.locate(key, placing: hops == 0) {
        case .local:
            return nil
        case .remote(let node, _) where hops >= Self.maxHops:
            return .unavailable("the room moved to \(node) while the request was forwarded")
        case let location:
            return location
        }
    }

    /// The forwards a request took so far (0 from a client).
    static func hops(_ headers: HTTPFields) -> Int {
        guard headers[forwardedByHeader] != nil else { return 0 }
        return headers[hopsHeader].flatMap { Int($0) }.map { min(max($0, 1), maxHops) } ?? 1
    }

    /// The request's headers for the owner: without hop-by-hop fields, with the forwarding node
    /// and the count of forwards.
    func forwardedHeaders(_ headers: HTTPFields) -> [(String, String)] {
        var forwarded: [(String, String)] = []
        for field in headers where !Self.hopByHopHeaders.contains(field.name.canonicalName) {
            forwarded.append((field.name.rawName, field.value))
        }
        forwarded.append((Self.forwardedByHeader.rawName, edge.cluster?.nodeID ?? ""))
        forwarded.append((Self.hopsHeader.rawName, String(Self.hops(headers) + 1)))
        return forwarded
    }

    /// Sends the request to the room's owner at `address` and returns its answer.
    func forward(method: HTTPRequest.Method, target: String, headers: HTTPFields, body: ByteBuffer, to node: String, at address: String) async -> Response {
        guard let (host, port) = Self.split(address) else {
            return .error(.serviceUnavailable, "the room's node \(node) has an unusable address; try again")
        }
        do {
            let answer = try await HTTPExchange.perform(HTTPExchange.Request(
                host: host, port: port, authority: address, tls: nil, method: method.rawValue, target: target,
                headers: forwardedHeaders(headers), body: Data(body.readableBytesView),
                maxResponseSize: 64 * 1024 * 1024, connectTimeout: .seconds(5)
            ))
            edge.cluster?.metrics.forwardedRequests.increment()
            var fields = HTTPFields()
            // CORS headers are this node's to add (as for any answer), not the owner's.
            for (name, value) in answer.headers
            where !Self.hopByHopHeaders.contains(name.lowercased()) && !name.lowercased().hasPrefix("access-control-") {
                if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
            }
            return Response(status: HTTPResponse.Status(code: answer.status), headers: fields, body: ByteBuffer(bytes: answer.body))
        } catch {
            logger.warning("could not forward a request to the room's node", metadata: ["node": "\(node)", "address": "\(address)", "error": "\(error)"])
            return .error(.serviceUnavailable, "the room's node \(node) did not answer; try again")
        }
    }

    /// Opens the client's WebSocket on the room's owner at `address`: relayed when the owner
    /// accepts, refused with the owner's status and body when it refuses.
    func relay(target: String, headers: HTTPFields, key: RoomKey, to node: String, at address: String, on eventLoop: any EventLoop) async -> UpgradeDecision {
        guard let (host, port) = Self.split(address), let cluster = edge.cluster else {
            return .reject(.error(.serviceUnavailable, "the room's node \(node) has an unusable address; try again"))
        }
        var relayLogger = logger
        relayLogger[metadataKey: "room"] = "\(key)"
        relayLogger[metadataKey: "owner"] = "\(node)"
        do {
            switch try await UpstreamWebSocket.connect(
                host: host, port: port, target: target, headers: forwardedHeaders(headers),
                maxFrameSize: configuration.maxMessageSize, timeout: .seconds(5),
                on: eventLoop, frames: cluster.metrics.forwardedMessages, logger: relayLogger
            ) {
            case .upgraded(let channel, let ownerEnd):
                cluster.metrics.forwardedConnections.increment()
                return .relay(RelaySession(
                    upstream: channel, ownerEnd: ownerEnd, room: "\(key)", owner: node, logger: relayLogger, frames: cluster.metrics.forwardedMessages
                ))
            case .refused(let status, let body):
                var response = Response(status: HTTPResponse.Status(code: status), body: ByteBuffer(string: body))
                if body.hasPrefix("{") { response.headers[.contentType] = "application/json" }
                return .reject(response)
            }
        } catch {
            logger.warning("could not relay a WebSocket to the room's node", metadata: ["node": "\(node)", "address": "\(address)", "error": "\(error)"])
            return .reject(.error(.serviceUnavailable, "the room's node \(node) did not answer; try again"))
        }
    }

    /// `host` and `port` of `host:port` (`[v6]:port` too).
    static func split(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
