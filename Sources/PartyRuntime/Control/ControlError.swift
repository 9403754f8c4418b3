/// Errors of the session control API; each says what went wrong and what to do.
public struct ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: Sendable, Equatable {
        case notRunning
        case unknownServer(String, registered: [String])
        case nothingToConnect
        case keyUnheld(String)
        case keyHeld(String, requestTag: String?, keyTag: String?)
        case unknownRoom(server: String, name: String)
        case invalidArgument(String)
        case invalidJSON(String)
        case tokenUnavailable(String)
        case overLimit(String)
        case notStored(String)
        case tokenKeyUnusable(path: String, String)
        case roomElsewhere(node: String, address: String)
        case clusterUnavailable(String)
    }

    package let code: Code

    /// The application is not running; call the control API while `run()` is in progress.
    public static var notRunning: ControlError { .init(code: .notRunning) }
    /// No server type is registered under the route name.
    public static func unknownServer(_ name: String, registered: [String]) -> ControlError {
        .init(code: .unknownServer(name, registered: registered))
    }
    /// `connect` was told not to spawn (`spawn: false`) and given no key to find a room by.
    public static var nothingToConnect: ControlError { .init(code: .nothingToConnect) }
    /// No live room holds the key, and no spawn options were given to create one.
    public static func keyUnheld(_ key: String) -> ControlError { .init(code: .keyUnheld(key)) }
    /// A live room holds the key under another tag than the one asked for; ask with its tag, or
    /// terminate it first.
    public static func keyHeld(_ key: String, requestTag: String?, keyTag: String?) -> ControlError {
        .init(code: .keyHeld(key, requestTag: requestTag, keyTag: keyTag))
    }
    /// The room has never run (or its record was forgotten after it terminated).
    public static func unknownRoom(server: String, name: String) -> ControlError {
        .init(code: .unknownRoom(server: server, name: name))
    }
    /// An argument is out of range or malformed.
    public static func invalidArgument(_ detail: String) -> ControlError { .init(code: .invalidArgument(detail)) }
    /// A value that must be JSON is not.
    public static func invalidJSON(_ detail: String) -> ControlError { .init(code: .invalidJSON(detail)) }
    /// A connection token could not be signed.
    public static func tokenUnavailable(_ detail: String) -> ControlError { .init(code: .tokenUnavailable(detail)) }

    /// A new room would pass a room limit (`ServerLimits`); try again later.
    public static func overLimit(_ detail: String) -> ControlError { .init(code: .overLimit(detail)) }

    /// A new room's record could not be stored, so the room was not created; try again.
    public static func notStored(_ detail: String) -> ControlError { .init(code: .notStored(detail)) }

    /// The room (or the room holding the key) runs on another node of the cluster, reachable at
    /// `address`: its control requests are answered there. The HTTP control API forwards them.
    public static func roomElsewhere(node: String, address: String) -> ControlError {
        .init(code: .roomElsewhere(node: node, address: address))
    }
    /// Where a room runs cannot be decided now (the cluster's database cannot be reached); try again.
    public static func clusterUnavailable(_ detail: String) -> ControlError { .init(code: .clusterUnavailable(detail)) }

    /// The connection token key file in the data directory cannot be used; the server does not start.
    public static func tokenKeyUnusable(path: String, _ detail: String) -> ControlError {
        .init(code: .tokenKeyUnusable(path: path, detail))
    }

    /// A short stable identifier for HTTP error bodies (`key-unheld`, `unknown-room`, …).
    public var identifier: String {
        switch code {
        case .notRunning: "not-running"
        case .unknownServer: "unknown-server"
        case .nothingToConnect: "nothing-to-connect"
        case .keyUnheld: "key-unheld"
        case .keyHeld: "key-held"
        case .unknownRoom: "unknown-room"
        case .invalidArgument: "invalid-argument"
        case .invalidJSON: "invalid-json"
        case .tokenUnavailable: "token-unavailable"
        case .overLimit: "over-limit"
        case .notStored: "not-stored"
        case .tokenKeyUnusable: "token-key-unusable"
        case .roomElsewhere: "room-elsewhere"
        case .clusterUnavailable: "cluster-unavailable"
        }
    }

    /// A sentence that says what happened and what to do.
    public var description: String {
        switch code {
        case .notRunning:
            "the application is not running; use app.rooms while app.run() is in progress"
        case .unknownServer(let name, let registered):
            "no server type is registered as \(name.debugDescription); registered: \(registered.joined(separator: ", "))"
        case .nothingToConnect:
            "spawn: false needs a key to find a room by; give a key, or let connect spawn a room"
        case .keyUnheld(let key):
            "no live room holds the key \(key.debugDescription); pass spawn options to create one"
        case .keyHeld(let key, let requestTag, let keyTag):
            "a live room holds the key \(key.debugDescription) with tag \(keyTag?.debugDescription ?? "none"), not \(requestTag?.debugDescription ?? "none"); "
                + "connect with its tag, or terminate it first"
        case .unknownRoom(let server, let name):
            "room \(server)/\(name) has never run (or its record was forgotten after it terminated)"
        case .invalidArgument(let detail):
            detail
        case .invalidJSON(let detail):
            "not valid JSON: \(detail)"
        case .tokenUnavailable(let detail):
            "could not sign a connection token: \(detail)"
        case .overLimit(let detail):
            "no room can be created now: \(detail)"
        case .notStored(let detail):
            "the room's record could not be stored, so nothing was created or found: \(detail); try again"
        case .tokenKeyUnusable(let path, let detail):
            "the connection token key file \(path.debugDescription) cannot be used: \(detail); fix it, delete it to make a new key "
                + "(tokens issued so far then stop working), or set control.tokenSigningKey"
        case .roomElsewhere(let node, let address):
            "the room runs on node \(node); ask that node's control API at \(address) (the HTTP control API of any node forwards there)"
        case .clusterUnavailable(let detail):
            "where the room runs cannot be decided now (\(detail)); try again"
        }
    }
}
