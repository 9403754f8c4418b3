import HTTPTypes

/// Which cross-origin requests are allowed. Preflight requests are answered without waking a room.
public struct CORSConfiguration: Sendable {
    /// Allowed origins.
    public enum Origins: Sendable {
        /// Any origin (`Access-Control-Allow-Origin: *`).
        case any
        /// Only these exact origins (echoed back when they match).
        case list([String])
    }

    /// Allowed origins.
    public var origins: Origins
    /// Allowed methods. Default GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS.
    public var methods: [String]
    /// Allowed request headers. Default `Content-Type, Authorization`.
    public var headers: [String]
    /// How long browsers may cache a preflight answer, in seconds. Default 86,400.
    public var maxAge: Int

    /// Creates a CORS policy; every argument but `origins` has its documented default.
    public init(
        origins: Origins,
        methods: [String] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
        headers: [String] = ["Content-Type", "Authorization"],
        maxAge: Int = 86_400
    ) {
        self.origins = origins
        self.methods = methods
        self.headers = headers
        self.maxAge = maxAge
    }

    /// Allows every origin.
    public static var allowAll: CORSConfiguration { CORSConfiguration(origins: .any) }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, or `nil` if not allowed.
    func allowedOrigin(for origin: String?) -> String? {
        switch origins {
        case .any:
            return "*"
        case .list(let allowed):
            guard let origin, allowed.contains(origin) else { return nil }
            return origin
        }
    }

    /// Headers added to every response to an allowed origin.
    func responseHeaders(origin: String?) -> HTTPFields {
        guard let allowed = allowedOrigin(for: origin) else { return [:] }
        var fields: HTTPFields = [.accessControlAllowOrigin: allowed]
        if case .list = origins { fields[.vary] = "Origin" }
        return fields
    }

    /// Headers of the answer to a preflight request.
    func preflightHeaders(origin: String?) -> HTTPFields? {
        guard allowedOrigin(for: origin) != nil else { return nil }
        var fields = responseHeaders(origin: origin)
        fields[.accessControlAllowMethods] = methods.joined(separator: ", ")
        fields[.accessControlAllowHeaders] = headers.joined(separator: ", ")
        fields[.accessControlMaxAge] = String(maxAge)
        return fields
    }
}
