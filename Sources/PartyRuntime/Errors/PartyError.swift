/// Errors raised by the PartyServer runtime; each says what went wrong and what to do.
public struct PartyError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Code: Sendable, Equatable {
        case tooManyTags(Int)
        case invalidTag(String)
        case stateTooLarge(Int, limit: Int)
        case stateEncoding(String)
        case invalidRouteName(String)
        case duplicateRouteName(String)
        case alreadyRunning
        case startFailed(String)
        case invalidPrefix(String)
        case noTokenKeys
        case invalidConfiguration(String)
        case messageEncoding(String)
        case metadataTooLarge(Int)
    }

    let code: Code

    /// A connection may have at most 10 tags, the id included.
    public static func tooManyTags(_ count: Int) -> PartyError { .init(code: .tooManyTags(count)) }
    /// A tag was empty or longer than 256 characters.
    public static func invalidTag(_ tag: String) -> PartyError { .init(code: .invalidTag(tag)) }
    /// A connection state encoded to more than the limit.
    public static func stateTooLarge(_ size: Int, limit: Int) -> PartyError { .init(code: .stateTooLarge(size, limit: limit)) }
    /// A connection state could not be encoded or decoded.
    public static func stateEncoding(_ detail: String) -> PartyError { .init(code: .stateEncoding(detail)) }
    /// A route name given at registration is not valid.
    public static func invalidRouteName(_ name: String) -> PartyError { .init(code: .invalidRouteName(name)) }
    /// Two server types were registered under one route name.
    public static func duplicateRouteName(_ name: String) -> PartyError { .init(code: .duplicateRouteName(name)) }
    /// Servers were registered after the application started.
    public static var alreadyRunning: PartyError { .init(code: .alreadyRunning) }
    /// A room's `onStart` failed.
    public static func startFailed(_ detail: String) -> PartyError { .init(code: .startFailed(detail)) }

    /// The configured URL prefix is not usable.
    public static func invalidPrefix(_ prefix: String) -> PartyError { .init(code: .invalidPrefix(prefix)) }

    /// A configuration value is not usable; the detail names it.
    public static func invalidConfiguration(_ detail: String) -> PartyError { .init(code: .invalidConfiguration(detail)) }

    /// A room's metadata encodes to more than 4 KiB.
    public static func metadataTooLarge(_ size: Int) -> PartyError { .init(code: .metadataTooLarge(size)) }

    /// A value to send could not be encoded as JSON.
    public static func messageEncoding(_ detail: String) -> PartyError { .init(code: .messageEncoding(detail)) }

    /// `PartyConfiguration.jwt` is set without any key.
    public static var noTokenKeys: PartyError { .init(code: .noTokenKeys) }

    /// A sentence that says what happened and what to do.
    public var description: String {
        switch code {
        case .tooManyTags(let count):
            "a connection may have at most 10 tags including its id, got \(count); return at most 9 tags from getConnectionTags"
        case .invalidTag(let tag):
            "tag \(tag.prefix(40).debugDescription)\(tag.count > 40 ? "…" : "") must be 1 to 256 characters long"
        case .stateTooLarge(let size, let limit):
            "connection state encodes to \(size) bytes, over the \(limit)-byte limit; keep per-connection state small and put the rest in the room"
        case .stateEncoding(let detail):
            "connection state could not be encoded or decoded: \(detail)"
        case .invalidRouteName(let name):
            "route name \(name.debugDescription) is not valid; use lowercase letters, digits and dashes"
        case .duplicateRouteName(let name):
            "route name \(name.debugDescription) is already registered; pass a different name to register(_:as:)"
        case .alreadyRunning:
            "servers must be registered before the application runs"
        case .startFailed(let detail):
            "the room failed to start: \(detail)"
        case .invalidConfiguration(let detail):
            detail
        case .metadataTooLarge(let size):
            "room metadata encodes to \(size) bytes, over the 4096-byte limit; keep it to what matchmaking filters on"
        case .messageEncoding(let detail):
            "the message could not be encoded as JSON: \(detail)"

        case .invalidPrefix(let prefix):
            "prefix \(prefix.debugDescription) is not valid; use path segments of letters, digits, '-', '_', '.' or '~' separated by '/', without leading or trailing '/'"
        case .noTokenKeys:
            "JWT authentication needs at least one key: add JWTKey.hs256(secret:) or JWTKey.es256(publicKeyPEM:) to JWTAuthentication.keys"
        }
    }
}
