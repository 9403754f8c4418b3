import PartyServer

/// The ready-made server types of `PartyRooms`, registered in one call.
public enum ReadyMadeRooms {
    /// Registers `Chat` as `chat` and `Counter` as `counter`, with `hibernateAfter` (default 10 s)
    /// as their idle time; throws if either name is taken or `app` already runs.
    public static func register(in app: PartyApplication, hibernateAfter: Duration? = nil) throws(PartyError) {
        var chat = Chat.options
        var counter = Counter.options
        if let hibernateAfter {
            chat.hibernateAfter = hibernateAfter
            counter.hibernateAfter = hibernateAfter
        }
        try app.register(Chat.self, as: Chat.routeName, options: chat)
        try app.register(Counter.self, as: Counter.routeName, options: counter)
    }
}
