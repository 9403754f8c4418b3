import ArgumentParser
import Foundation
import PartyClient

/// `job-worker work`: takes every `ready` job of a room, works on it, and reports the outcome.
///
/// The work is a stand-in: the result is the input upper-cased; an empty input fails.
struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Work on ready jobs (credentials from PARTYSERVER_WORKER_ID and PARTYSERVER_WORKER_SECRET)."
    )

    @Option(help: "Server host and port.")
    var host = "127.0.0.1:1999"

    @Option(help: "The jobs room to serve.")
    var room = "main"

    @Option(help: "Stop after finishing this many jobs (default: run until interrupted).")
    var jobs: Int?

    func run() async throws {
        let worker = try startWorker(host: host)
        let socket = try worker.socket(party: "jobs", room: room)
        var finished = 0
        print("worker \(worker.credentials.id) serving jobs/\(room)")
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await socket.run() }
            for await event in socket.events {
                guard case .message(.text(let text)) = event, let message = WireMessage.decode(text) else { continue }
                for job in message.jobs ?? [] where job.state == "ready" {
                    socket.send(command(["type": "move", "id": job.id, "to": "running"]))
                }
                guard let job = message.job else {
                    if message.type == "error" { print("refused: \(message.error ?? "")") }
                    continue
                }
                if job.state == "ready" {
                    socket.send(command(["type": "move", "id": job.id, "to": "running"]))
                } else if job.state == "running", job.updatedBy == worker.credentials.id {
                    if job.input.isEmpty {
                        socket.send(command(["type": "move", "id": job.id, "to": "failure", "error": "empty input: nothing to do"]))
                    } else {
                        socket.send(command(["type": "move", "id": job.id, "to": "success", "result": job.input.uppercased()]))
                    }
                } else if job.state == "success" || job.state == "failure", job.updatedBy == worker.credentials.id {
                    finished += 1
                    print("finished \(job.id): \(job.state)")
                    if let jobs, finished >= jobs { socket.close() }
                }
            }
            group.cancelAll()
        }
    }
}
