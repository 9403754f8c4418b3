import Foundation
import HTTPTypes
import NIOCore

/// A room call on its way to the node owning its target (the body of `POST /_partycluster/call`):
/// JSON with the target, the chain of calling rooms, the deadline in milliseconds since 1970, and
/// either the request (`request`, its body in base64) or the typed call (`typed`, its JSON in
/// base64).
struct ClusterCallEnvelope: Codable, Sendable {
    /// A room: route name and room name.
    struct Key: Codable, Sendable {
        var server: String
        var name: String
    }

    /// One header field or query parameter, in order.
    struct Field: Codable, Sendable {
        var name: String
        var value: String
    }

    /// An HTTP-shaped request for the target's `onRequest`, every field of `Request`.
    struct RequestPart: Codable, Sendable {
        var method: String
        var uri: String
        var path: String
        var query: [Field]
        var headers: [Field]
        var body: Data
        var user: User?
        var properties: [String: String]
        var auth: JSONPayload?
    }

    /// Why an envelope cannot become a call; the endpoint answers 400 with it.
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    var target: Key
    var chain: [Key]
    /// Milliseconds since 1970.
    var deadline: Int64
    var request: RequestPart?
    var typed: Data?

    /// The envelope of `call`.
    init(_ call: RoomCall) {
        target = Key(server: call.target.server, name: call.target.name)
        chain = call.chain.map { Key(server: $0.server, name: $0.name) }
        deadline = Int64((call.deadline.timeIntervalSince1970 * 1000).rounded())
        switch call.payload {
        case .request(let request):
            self.request = RequestPart(
                method: request.method.rawValue, uri: request.uri, path: request.path,
                query: request.query.map { Field(name: $0.name, value: $0.value) },
                headers: Self.fields(request.headers), body: Data(request.body.readableBytesView),
                user: request.user, properties: request.properties, auth: request.auth
            )
        case .typed(let body):
            typed = Data(body.readableBytesView)
        }
    }

    /// The call this envelope carries; throws ``Malformed`` when it has no payload or two, an
    /// unusable method, or an invalid header name.
    func call() throws(Malformed) -> RoomCall {
        let payload: RoomCall.Payload
        switch (request, typed) {
        case (let part?, nil):
            guard let method = HTTPRequest.Method(part.method) else { throw Malformed(description: "invalid method \(part.method.debugDescription)") }
            payload = .request(Request(
                method: method, uri: part.uri, path: part.path, query: part.query.map { ($0.name, $0.value) },
                headers: try Self.headers(part.headers), body: ByteBuffer(bytes: part.body),
                user: part.user, properties: part.properties, auth: part.auth
            ))
        case (nil, let body?):
            payload = .typed(ByteBuffer(bytes: body))
        default:
            throw Malformed(description: "a call carries exactly one of request and typed")
        }
        return RoomCall(
            target: RoomKey(server: target.server, name: target.name),
            chain: chain.map { RoomKey(server: $0.server, name: $0.name) },
            deadline: Date(timeIntervalSince1970: Double(deadline) / 1000),
            payload: payload
        )
    }

    /// `fields` in order, as name/value pairs (names as sent).
    static func fields(_ fields: HTTPFields) -> [Field] {
        fields.map { Field(name: $0.name.rawName, value: $0.value) }
    }

    /// Name/value pairs as `HTTPFields`; throws ``Malformed`` for an invalid name.
    static func headers(_ fields: [Field]) throws(Malformed) -> HTTPFields {
        var headers = HTTPFields()
        for field in fields {
            guard let name = HTTPField.Name(field.name) else { throw Malformed(description: "invalid header name \(field.name.debugDescription)") }
            headers.append(HTTPField(name: name, value: field.value))
        }
        return headers
    }
}
