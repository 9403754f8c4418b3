import HTTPTypes
import NIOCore

extension PartyFront {
    /// Answers a request no route matched with the application's fallback handler: the body is
    /// read up to `maxRequestBodySize`; a handler that throws answers 500 (a `Rejection`, its
    /// own answer).
    func answerUnrouted(
        _ fallback: PartyApplication.Fallback, method: HTTPRequest.Method, target: String, headers: HTTPFields, peer: String?,
        readBody: (Int) async throws -> ByteBuffer
    ) async -> Response {
        var body = ByteBuffer()
        do {
            body = try await readBody(configuration.maxRequestBodySize)
        } catch is NIOTooManyBytesError {
            return .error(.contentTooLarge, "request body exceeds \(configuration.maxRequestBodySize) bytes")
        } catch {
            return .error(.badRequest, "incomplete request body")
        }
        let queryStart = target.firstIndex(of: "?")
        let request = Request(
            method: method, uri: target, path: String(queryStart.map { target[..<$0] } ?? Substring(target)),
            query: queryStart.map { QueryString.parse(target[target.index(after: $0)...]) } ?? [], headers: headers, body: body,
            remoteAddress: clientAddress(peer: peer, headers: headers)
        )
        do {
            return try await fallback(request)
        } catch let rejection as Rejection {
            return rejection.response
        } catch {
            logger.error("the fallback handler threw", metadata: ["target": "\(Self.loggable(target))", "error": "\(error)"])
            return .error(.internalServerError, "internal error")
        }
    }
}
