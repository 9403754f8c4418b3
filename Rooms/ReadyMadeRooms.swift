import PartyServer

/// The ready-made server types of `PartyRooms`, registered in one call.
public enum ReadyMadeRooms {
    /// Registers `Chat` as `chat`, `Counter` as `counter` and `Jobs` as `jobs`, with `hibernateAfter` (default 10 s)
    /// as their idle time; throws if either name is taken or `app` already runs.
    public static func register(in app: PartyApplication, hibernateAfter: Duration? = nil) throws(PartyError) {
        var chat = Chat.options
        var counter = Counter.options
        var jobs = Jobs.options
        if let hibernateAfter {
            chat.hibernateAfter = hibernateAfter
            counter.hibernateAfter = hibernateAfter
            jobs.hibernateAfter = hibernateAfter
        }
        try app.register(Chat.self, as: Chat.routeName, options: chat)
        try app.register(Counter.self, as: Counter.routeName, options: counter)
        try app.register(Jobs.self, as: Jobs.routeName, options: jobs)
    }
}
