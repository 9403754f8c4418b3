import CoreMetrics
import Foundation
import HTTPTypes
import NIOCore
import PartyClient

extension PartyFront {
    /// The header a forwarding node adds, naming itself; a node never forwards such a request again.
    static let forwardedByHeader = HTTPField.Name("x-partyserver-forwarded-by")!

    /// Request headers that concern one connection only, not the request.
    static let hopByHopHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host",
        "content-length", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
    ]

    /// Where the room is served, or `nil` when here (always, without a cluster). A request another
    /// node forwarded is served here or refused, never forwarded again.
    func location(of key: RoomKey, headers: HTTPFields) async -> RoomLocation? {
        guard let cluster = edge.cluster else { return nil }
        let forwarded = headers[Self.forwardedByHeader] != nil
        switch await cluster.ownership.locate(key, placing: !forwarded) {
        case .local:
            return nil
        case .remote(let node, _) where forwarded:
            return .unavailable("the room moved to \(node) while the request was forwarded")
        case let location:
            return location
        }
    }

    /// The request's headers for the owner: without hop-by-hop fields, with the forwarding node.
    func forwardedHeaders(_ headers: HTTPFields) -> [(String, String)] {
        var forwarded: [(String, String)] = []
        for field in headers where !Self.hopByHopHeaders.contains(field.name.canonicalName) && field.name != Self.forwardedByHeader {
            forwarded.append((field.name.rawName, field.value))
        }
        forwarded.append((Self.forwardedByHeader.rawName, edge.cluster?.nodeID ?? ""))
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
            for (name, value) in answer.headers where !Self.hopByHopHeaders.contains(name.lowercased()) {
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
    func relay(target: String, headers: HTTPFields, key: RoomKey, to node: String, at address: String) async -> UpgradeDecision {
        guard let (host, port) = Self.split(address), let cluster = edge.cluster else {
            return .reject(.error(.serviceUnavailable, "the room's node \(node) has an unusable address; try again"))
        }
        do {
            switch try await UpstreamWebSocket.connect(
                host: host, port: port, target: target, headers: forwardedHeaders(headers),
                maxFrameSize: configuration.maxMessageSize, timeout: .seconds(5)
            ) {
            case .upgraded(let channel):
                cluster.metrics.forwardedConnections.increment()
                return .relay(RelaySession(upstream: channel, room: "\(key)", owner: node, logger: logger, frames: cluster.metrics.forwardedMessages))
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
