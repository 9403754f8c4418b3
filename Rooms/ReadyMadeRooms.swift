import PartyServer

/// The ready-made server types of `PartyRooms`, registered in one call.
public enum ReadyMadeRooms {
    /// Registers `Chat` as `chat` and `Counter` as `counter`; throws if either name is taken or `app` already runs.
    public static func register(in app: PartyApplication) throws(PartyError) {
        try app.register(Chat.self, as: Chat.routeName)
        try app.register(Counter.self, as: Counter.routeName)
    }
}
