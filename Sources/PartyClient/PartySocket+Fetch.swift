import Foundation
import NIOSSL

extension PartySocket {
    /// Sends an HTTP request to the socket's room, `http(s)://host/{prefix}/{party}/{room}[/path]`
    /// with the socket's query (without `_pk`), and returns the whole response.
    ///
    /// `path` replaces ``PartySocketOptions/path`` (nil keeps it). The socket's headers (fixed or
    /// computed now) are sent, then `headers`, which replace socket headers of the same name. It
    /// does not need the socket to be open or running. Throws ``PartySocketError`` with
    /// ``PartySocketError/Code/requestFailed``, ``PartySocketError/Code/requestTimedOut`` (after
    /// ``PartySocketOptions/fetchTimeout``), ``PartySocketError/Code/responseTooLarge``,
    /// ``PartySocketError/Code/parametersFailed`` or ``PartySocketError/Code/invalidHeader``.
    ///
    /// ```swift
    /// let response = try await socket.fetch(method: "POST", body: Data("inc".utf8))
    /// print(response.status, response.text)
    /// ```
    public func fetch(
        method: String = "GET",
        path: String? = nil,
        headers: [(String, String)] = [],
        body: Data? = nil
    ) async throws(PartySocketError) -> PartyFetchResponse {
        guard HeaderValidation.isToken(method) else {
            throw .invalidOptions("\"\(method)\" is not an HTTP method; use e.g. GET or POST")
        }
        let query: [(String, String)]
        do { query = try await options.query.resolve() } catch { throw .parametersFailed("query", error) }
        let socketHeaders: [(String, String)]
        do { socketHeaders = try await options.headers.resolve() } catch { throw .parametersFailed("headers", error) }
        let replaced = Set(headers.map { $0.0.lowercased() })
        let allHeaders = try HeaderValidation.validated(
            socketHeaders.filter { !replaced.contains($0.0.lowercased()) } + headers, forWebSocket: false
        )
        let address = url.httpURL(path: path, query: query)
        let tls: NIOSSLContext?
        do { tls = try tlsContext() } catch { throw .requestFailed(address, "\(error)") }
        let request = HTTPExchange.Request(
            host: url.host.name, port: url.port, authority: url.host.authority, tls: tls,
            method: method, target: url.httpTarget(path: path, query: query), headers: allHeaders, body: body,
            maxResponseSize: options.maxMessageSize, connectTimeout: options.fetchTimeout
        )
        do {
            return try await withDeadline(clock: options.clock, timeout: options.fetchTimeout) {
                try await HTTPExchange.perform(request)
            }
        } catch TransportError.timedOut {
            throw .requestTimedOut(address, options.fetchTimeout)
        } catch TransportError.tooLarge(let limit) {
            throw .responseTooLarge(address, limit)
        } catch TransportError.incompleteResponse {
            throw .requestFailed(address, "the connection closed before the response was complete")
        } catch {
            throw .requestFailed(address, ErrorDescription.of(error))
        }
    }
}
