import Foundation

/// One call from a room to another, in a shape that can cross a node boundary: the target by
/// route name and room name, the chain of calling rooms, the deadline, and the payload as an
/// HTTP-shaped request or JSON bytes.
package struct RoomCall: Sendable {
    /// What the call carries.
    package enum Payload: Sendable {
        /// An HTTP-shaped request for the target's `onRequest`.
        case request(Request)
        /// A typed call for the target's `onCall`, encoded as JSON.
        case typed(ByteBuffer)
    }

    /// The room called (route name, room name).
    package var target: RoomKey
    /// The calling rooms, first caller first, ending with the room that made this call.
    package var chain: [RoomKey]
    /// When the caller stops waiting (on the application's clock); work still queued after it
    /// may be skipped by a router.
    package var deadline: Date
    /// The request or the typed call.
    package var payload: Payload

    /// Creates a call.
    package init(target: RoomKey, chain: [RoomKey], deadline: Date, payload: Payload) {
        self.target = target
        self.chain = chain
        self.deadline = deadline
        self.payload = payload
    }

    /// The room that made the call.
    package var caller: RoomCaller {
        chain.last.map(RoomCaller.init) ?? RoomCaller(server: "", name: "")
    }
}
