import ArgumentParser

/// The job pattern end to end: `job-worker work` is a worker that finishes `ready` jobs of a
/// `jobs` room; `job-worker client` drafts a job, hands it over and waits for its outcome.
@main
struct JobWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job-worker",
        abstract: "A worker and a client for the ready-made `jobs` room (the job state-machine pattern).",
        subcommands: [WorkCommand.self, ClientCommand.self]
    )
}
