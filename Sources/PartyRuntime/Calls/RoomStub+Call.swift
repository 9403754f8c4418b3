import CoreMetrics
import Foundation

extension RoomStub where Target: CallableServer {
    /// Sends `call` to the target's `onCall` and returns its reply. The call and the reply
    /// travel as JSON, as they would to another node.
    public func call(_ call: Target.Call) async throws(RoomCallError) -> Target.Reply {
        let metrics = caller.services.metrics
        let body: ByteBuffer
        do {
            body = ByteBuffer(bytes: try JSONEncoder().encode(call))
        } catch {
            metrics.roomCalls.increment()
            metrics.roomCallFailed(.undecodable(""))
            throw .undecodable("the call could not be encoded as JSON: \(error)")
        }
        let reply = try await send(.typed(body))
        guard case .typed(let bytes) = reply else {
            metrics.roomCallFailed(.undecodable(""))
            throw .undecodable("the callee answered a typed call with an HTTP response")
        }
        do {
            return try JSONDecoder().decode(Target.Reply.self, from: Data(bytes.readableBytesView))
        } catch {
            metrics.roomCallFailed(.undecodable(""))
            throw .undecodable("the reply could not be decoded as \(Target.Reply.self): \(error)")
        }
    }
}
