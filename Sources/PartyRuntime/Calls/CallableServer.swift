import Foundation

/// A server type that other rooms call with typed messages: `stub.call(_:)` on a
/// `RoomStub<Self>` sends a `Call` and returns the `Reply` of `onCall`.
///
/// ```swift
/// actor Counter: CallableServer {
///     enum Call: Codable, Sendable { case add(Int), read }
///     let room: Room
///     init(room: Room) { self.room = room }
///     func onCall(_ call: Call, from caller: RoomCaller) async throws -> Int {
///         var total = try await room.storage.get("total") ?? 0
///         if case .add(let amount) = call { total += amount; try await room.storage.put("total", total) }
///         return total
///     }
/// }
/// // in another room: let total = try await room.stub(for: Counter.self, named: "hits").call(.add(1))
/// ```
///
/// Calls and replies travel as JSON even between rooms of one process, so a call behaves the
/// same whether the target is local or (later) on another node.
public protocol CallableServer: Server {
    /// The message a caller sends.
    associatedtype Call: Codable & Sendable
    /// The message `onCall` answers with.
    associatedtype Reply: Codable & Sendable

    /// A typed call from the room `caller`. Runs like `onRequest`: after `onStart`, behind the
    /// input gate, and the reply reaches the caller once this hook's writes are durable. What it
    /// throws reaches the caller as `RoomCallError.failed`.
    func onCall(_ call: Call, from caller: RoomCaller) async throws -> Reply
}

/// Runs a typed call on a type-erased instance: decodes the call, runs `onCall`, encodes the reply.
package typealias TypedCallHandler = @Sendable (any Server, ByteBuffer, RoomCaller) async throws(RoomCallError) -> ByteBuffer

extension CallableServer {
    /// The handler `ServerRegistration` keeps for this type.
    static var typedCallHandler: TypedCallHandler {
        { (instance: any Server, body: ByteBuffer, caller: RoomCaller) async throws(RoomCallError) -> ByteBuffer in
            guard let server = instance as? Self else {
                throw RoomCallError.unreachable("room instance is not a \(Self.self)")
            }
            let call: Call
            do {
                call = try JSONDecoder().decode(Call.self, from: Data(body.readableBytesView))
            } catch {
                throw RoomCallError.undecodable("the callee could not decode the call as \(Call.self): \(error)")
            }
            let reply: Reply
            do {
                reply = try await server.onCall(call, from: caller)
            } catch {
                throw RoomCallError.failure(error)
            }
            do {
                return ByteBuffer(bytes: try JSONEncoder().encode(reply))
            } catch {
                throw RoomCallError.undecodable("the callee could not encode its reply \(Reply.self): \(error)")
            }
        }
    }
}
