import CoreMetrics
import Foundation

/// A way for one room to call another, made by `room.stub(for:named:)`: `fetch` reaches the
/// target's `onRequest`, `call` (when the target adopts `CallableServer`) its `onCall`.
///
/// The target is activated as a client request would activate it (`onStart` once, the room
/// limits, the input gate), and the answer comes once the callee's writes are durable. Making a
/// stub does nothing; each call resolves the target. Errors are `RoomCallError`s.
public struct RoomStub<Target: Server>: Sendable {
    /// How long a call waits for its reply unless the stub was given another timeout: 30 seconds.
    public static var defaultTimeout: Duration { .seconds(30) }

    /// The target room's name.
    public let name: String
    /// How long each call waits for its reply, on the application's clock.
    public let timeout: Duration
    /// The calling room.
    let caller: Room

    init(caller: Room, name: String, timeout: Duration) {
        self.caller = caller
        self.name = name
        self.timeout = timeout
    }

    /// The same stub with another timeout per call.
    public func timeout(_ timeout: Duration) -> RoomStub<Target> {
        RoomStub(caller: caller, name: name, timeout: timeout)
    }

    /// Sends `request` to the target's `onRequest` and returns its response (a thrown
    /// `Rejection` answers with its status, as over HTTP). The static `onBeforeRequest` does not
    /// run: room calls come from the application's own code.
    public func fetch(_ request: Request) async throws(RoomCallError) -> Response {
        switch try await send(.request(request)) {
        case .response(let response):
            return response
        case .typed:
            caller.services.metrics.roomCallFailed(.undecodable(""))
            throw .undecodable("the callee answered a request with a typed reply")
        }
    }

    /// Sends a request built from its parts to the target's `onRequest` (`uri` is `path`, or `/`).
    public func fetch(
        _ method: HTTPRequest.Method = .get, path: String = "", headers: HTTPFields = [:], body: ByteBuffer = ByteBuffer()
    ) async throws(RoomCallError) -> Response {
        try await fetch(Request(method: method, uri: path.isEmpty ? "/" : path, path: path, headers: headers, body: body))
    }

    /// Routes one call: resolves the target, refuses a cycle, and waits for the router's reply
    /// until the timeout. Counts the call, and its failure.
    package func send(_ payload: RoomCall.Payload) async throws(RoomCallError) -> RoomCallReply {
        let services = caller.services
        services.metrics.roomCalls.increment()
        do throws(RoomCallError) {
            let router = try services.calls.current()
            let target = RoomKey(server: try router.routeName(for: Target.self), name: name)
            let chain = RoomCallChain.outgoing(from: caller.key)
            if chain.contains(target) { throw .cycle((chain + [target]).map(\.description)) }
            let deadline = services.clock.now.addingTimeInterval(timeout.timeInterval)
            let call = RoomCall(target: target, chain: chain, deadline: deadline, payload: payload)
            return try await CallDeadline.run(clock: services.clock, deadline: deadline, timeout: timeout) { () async throws(RoomCallError) in
                try await router.deliver(call)
            }
        } catch {
            services.metrics.roomCallFailed(error)
            caller.logger.debug("room call failed", metadata: ["target": "\(Target.self)/\(name)", "error": "\(error)"])
            throw error
        }
    }
}
