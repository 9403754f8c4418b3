import ArgumentParser

/// The `partyserver` command line tool; running it without a subcommand runs `serve`.
@main
struct PartyServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partyserver",
        abstract: "A realtime room server: named rooms over HTTP and WebSocket at /PREFIX/SERVER/NAME.",
        discussion: """
            Without a subcommand, runs `serve`: `partyserver --port 8080 --cors '*'` is \
            `partyserver serve --port 8080 --cors '*'`. See `partyserver serve --help` for its options.
            """,
        subcommands: [ServeCommand.self, WorkerCommand.self, TokenCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
