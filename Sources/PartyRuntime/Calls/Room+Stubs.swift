extension Room {
    /// A stub for calling the room `name` of server type `type`, on this node or (with a cluster
    /// layer) another; like a Durable Object stub from `getServerByName`. Nothing happens until
    /// a call: the first one starts the target room. Each call waits at most `timeout` (default
    /// `RoomStub.defaultTimeout`, 30 seconds) on the application's clock.
    ///
    /// ```swift
    /// let response = try await room.stub(for: Chat.self, named: "lobby").fetch(.post, path: "/announce", body: ByteBuffer(string: "hi"))
    /// ```
    ///
    /// A call from a hook that a chain of room calls reached, to a room already in that chain
    /// (including this room itself), fails at once with `RoomCallError.cycle`: that room is
    /// waiting for the call behind its input gate, so it could never answer.
    public func stub<Target: Server>(for type: Target.Type, named name: String, timeout: Duration = RoomStub<Target>.defaultTimeout) -> RoomStub<Target> {
        RoomStub(caller: self, name: name, timeout: timeout)
    }
}
