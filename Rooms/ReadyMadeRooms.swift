import PartyServer

/// The ready-made server types of `PartyRooms`, registered in one call.
public enum ReadyMadeRooms {
    /// The route names `register(in:hibernateAfter:)` registers.
    public static var names: [String] { [Chat.routeName, Counter.routeName, Jobs.routeName, Echo.routeName, Tally.routeName, LoguxCounter.routeName, YDocRoom.routeName, TinyBaseRoom.routeName] }

    /// Registers `Chat` as `chat`, `Counter` as `counter`, `Jobs` as `jobs`, `Echo` as `echo`, `Tally` as `tally`,
    /// `LoguxCounter` as `logux`, `YDocRoom` as `yjs` and `TinyBaseRoom` as
    /// `tinybase`, with
    /// `hibernateAfter` (default 10 s) as their idle time; throws if a name is taken or `app` already runs.
    public static func register(in app: PartyApplication, hibernateAfter: Duration? = nil) throws(PartyError) {
        var chat = Chat.options
        var counter = Counter.options
        var jobs = Jobs.options
        var echo = Echo.options
        var tally = Tally.options
        var logux = LoguxCounter.options
        var yjs = YDocRoom.options
        var tinybase = TinyBaseRoom.options
        if let hibernateAfter {
            chat.hibernateAfter = hibernateAfter
            counter.hibernateAfter = hibernateAfter
            jobs.hibernateAfter = hibernateAfter
            echo.hibernateAfter = hibernateAfter
            tally.hibernateAfter = hibernateAfter
            logux.hibernateAfter = hibernateAfter
            yjs.hibernateAfter = hibernateAfter
            tinybase.hibernateAfter = hibernateAfter
        }
        try app.register(Chat.self, as: Chat.routeName, options: chat)
        try app.register(Counter.self, as: Counter.routeName, options: counter)
        try app.register(Jobs.self, as: Jobs.routeName, options: jobs)
        try app.register(Echo.self, as: Echo.routeName, options: echo)
        try app.register(Tally.self, as: Tally.routeName, options: tally)
        try app.register(LoguxCounter.self, as: LoguxCounter.routeName, options: logux)
        try app.register(YDocRoom.self, as: YDocRoom.routeName, options: yjs)
        try app.register(TinyBaseRoom.self, as: TinyBaseRoom.routeName, options: tinybase)
    }
}
