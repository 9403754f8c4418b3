/// The rooms a task is serving calls for, first caller first, ending with the room whose hook
/// runs: set while a callee's hook runs, so a call from it that would reach a room already in
/// the chain fails with `RoomCallError.cycle` instead of waiting on that room's input gate.
package enum RoomCallChain {
    /// The chain of the current task (empty outside a hook reached by a room call).
    @TaskLocal package static var current: [RoomKey] = []

    /// The chain a call from `caller` carries: the current one, ending with `caller`.
    package static func outgoing(from caller: RoomKey) -> [RoomKey] {
        var chain = current
        if chain.last != caller { chain.append(caller) }
        return chain
    }
}
