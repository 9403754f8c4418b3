import ArgumentParser
import Foundation
import PartyClient

/// `job-worker client`: drafts a job, moves it to `ready`, prints every state it goes through,
/// and exits 0 on `success`, 1 on `failure`, 2 if the room refused, 3 on timeout.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "client", abstract: "Submit a job and wait for its outcome.")

    @Option(help: "Server host and port.")
    var host = "127.0.0.1:1999"

    @Option(help: "The jobs room.")
    var room = "main"

    @Option(help: "The job id.")
    var id = "job-\(Int.random(in: 1000...9999))"

    @Option(help: "The job's input.")
    var input: String

    @Option(help: "Seconds to wait for the outcome.")
    var timeout: Double = 30

    func run() async throws {
        let socket = try PartySocket(PartySocketOptions(host: host, room: room, party: "jobs"))
        // Queued until the connection opens, then sent in order.
        socket.send(command(["type": "create", "id": id, "input": input]))
        socket.send(command(["type": "move", "id": id, "to": "ready"]))
        let outcome: Int32 = try await withThrowingTaskGroup(of: Int32?.self) { group in
            group.addTask {
                try await socket.run()
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(timeout))
                return 3
            }
            group.addTask { await self.watch(socket) }
            var outcome: Int32 = 3
            while let next = try await group.next() {
                if let next {
                    outcome = next
                    break
                }
            }
            socket.close()
            group.cancelAll()
            return outcome
        }
        if outcome == 3 { print("timed out after \(timeout) s") }
        throw ExitCode(outcome)
    }

    /// Prints the job's states; returns the exit status once it ends.
    private func watch(_ socket: PartySocket) async -> Int32 {
        for await event in socket.events {
            guard case .message(.text(let text)) = event, let message = WireMessage.decode(text) else { continue }
            if message.type == "error", message.id == id {
                print("refused: \(message.error ?? "")")
                return 2
            }
            guard let job = message.job, job.id == id else { continue }
            print("state: \(job.state) by \(job.updatedBy)")
            if job.state == "success" {
                print("success: \(job.result ?? "")")
                return 0
            }
            if job.state == "failure" {
                print("failure: \(job.error ?? "")")
                return 1
            }
        }
        return 3
    }
}
