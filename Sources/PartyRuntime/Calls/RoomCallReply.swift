/// The answer to a `RoomCall`: the callee's `Response`, or its typed reply as JSON bytes.
package enum RoomCallReply: Sendable {
    /// What `onRequest` answered (a thrown `Rejection` becomes its response, as over HTTP).
    case response(Response)
    /// What `onCall` answered, encoded as JSON.
    case typed(ByteBuffer)
}
