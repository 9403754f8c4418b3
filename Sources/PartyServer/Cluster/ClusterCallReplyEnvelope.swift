import Foundation
import HTTPTypes
import NIOCore

/// The answer to a forwarded room call (the body of a 200 from `POST /_partycluster/call`):
/// exactly one of `response` (status, headers, body in base64), `typed` (the reply's JSON in
/// base64) or `error` (a `RoomCallError`, every case with its values).
struct ClusterCallReplyEnvelope: Codable, Sendable {
    /// What `onRequest` answered.
    struct ResponsePart: Codable, Sendable {
        var status: Int
        var reason: String
        var headers: [ClusterCallEnvelope.Field]
        var body: Data
    }

    /// A `RoomCallError`: `reason` names the case (`RoomCallError.reason`), the other fields
    /// carry its values.
    struct ErrorPart: Codable, Sendable {
        var reason: String
        var message: String?
        var errorType: String?
        var chain: [String]?
        var seconds: Int64?
        var attoseconds: Int64?
    }

    var response: ResponsePart?
    var typed: Data?
    var error: ErrorPart?

    /// The envelope of a call's outcome.
    init(_ outcome: Result<RoomCallReply, RoomCallError>) {
        switch outcome {
        case .success(.response(let response)):
            self.response = ResponsePart(
                status: response.status.code, reason: response.status.reasonPhrase,
                headers: ClusterCallEnvelope.fields(response.headers), body: Data(response.body.readableBytesView)
            )
        case .success(.typed(let body)):
            typed = Data(body.readableBytesView)
        case .failure(let failure):
            error = Self.part(failure)
        }
    }

    /// The outcome this envelope carries; throws ``ClusterCallEnvelope/Malformed`` when it is
    /// not exactly one of the three, or names an unknown error case.
    func outcome() throws(ClusterCallEnvelope.Malformed) -> Result<RoomCallReply, RoomCallError> {
        switch (response, typed, error) {
        case (let part?, nil, nil):
            let status = HTTPResponse.Status(code: part.status, reasonPhrase: part.reason)
            return .success(.response(Response(status: status, headers: try ClusterCallEnvelope.headers(part.headers), body: ByteBuffer(bytes: part.body))))
        case (nil, let body?, nil):
            return .success(.typed(ByteBuffer(bytes: body)))
        case (nil, nil, let part?):
            return .failure(try Self.error(part))
        default:
            throw ClusterCallEnvelope.Malformed(description: "a reply carries exactly one of response, typed and error")
        }
    }

    /// The error's case and values.
    static func part(_ error: RoomCallError) -> ErrorPart {
        var part = ErrorPart(reason: error.reason)
        switch error {
        case .unreachable(let message), .undecodable(let message):
            part.message = message
        case .timeout(let duration):
            part.seconds = duration.components.seconds
            part.attoseconds = duration.components.attoseconds
        case .failed(let errorType, let message):
            part.errorType = errorType
            part.message = message
        case .cycle(let chain):
            part.chain = chain
        case .cancelled:
            break
        }
        return part
    }

    /// The error an ``ErrorPart`` describes.
    static func error(_ part: ErrorPart) throws(ClusterCallEnvelope.Malformed) -> RoomCallError {
        switch part.reason {
        case "unreachable": return .unreachable(part.message ?? "")
        case "undecodable": return .undecodable(part.message ?? "")
        case "timeout": return .timeout(Duration(secondsComponent: part.seconds ?? 0, attosecondsComponent: part.attoseconds ?? 0))
        case "failed": return .failed(errorType: part.errorType ?? "", message: part.message ?? "")
        case "cycle": return .cycle(part.chain ?? [])
        case "cancelled": return .cancelled
        default: throw ClusterCallEnvelope.Malformed(description: "unknown room call error \(part.reason.debugDescription)")
        }
    }
}
