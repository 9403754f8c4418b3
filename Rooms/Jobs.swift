import Foundation
import PartyServer

/// A room of jobs moved through a state machine by clients and workers: the job pattern.
///
/// Protocol (JSON text messages):
/// - on connect, the room sends `{"type":"jobs","jobs":[…]}` (every job, by id);
/// - `{"type":"create","id":"J","input":"…"}` adds job J in state `draft`;
/// - `{"type":"move","id":"J","to":"ready"}` moves it on: `draft → ready` (anyone), then only a
///   worker (a connection authenticated with worker credentials) may move it `ready → running`,
///   and `ready`/`running → success` (with `"result"`) or `→ failure` (with `"error"`);
///   nothing moves back;
/// - every change is stored, and once durable sent to every connection as
///   `{"type":"job","job":{…}}`; a refused message is answered to its sender only with
///   `{"type":"error","id":"J","error":"…"}`.
/// - `GET /{prefix}/jobs/{name}` returns `{"jobs":[…]}`.
public actor Jobs: Server {
    /// The route name `ReadyMadeRooms` registers this type under.
    public static let routeName = "jobs"

    /// Hibernates after 10 idle seconds; jobs are read back from storage on wake.
    public static var options: ServerOptions { ServerOptions(hibernate: true, hibernateAfter: .seconds(10)) }

    /// The room this instance serves.
    public let room: Room
    private var jobs: [String: Job] = [:]

    /// Creates the room; jobs are loaded in `onStart`.
    public init(room: Room) {
        self.room = room
    }

    /// Loads every job from storage.
    public func onStart() async throws {
        for (_, job) in try await room.storage.list(prefix: "job:", as: Job.self) {
            jobs[job.id] = job
        }
    }

    /// Sends every job to the new connection.
    public func onConnect(_ connection: Connection, _ context: ConnectionContext) async throws {
        connection.send(text: Self.encode(JobsMessage(type: "jobs", jobs: sortedJobs())))
    }

    /// Creates or moves a job; refuses anything invalid with an error to the sender.
    public func onMessage(_ connection: Connection, _ message: Message) async throws {
        guard let text = message.text, let command = try? JSONDecoder().decode(JobCommand.self, from: Data(text.utf8)) else {
            refuse(connection, id: nil, #"send JSON: {"type":"create","id":…,"input":…} or {"type":"move","id":…,"to":…}"#)
            return
        }
        let actor = connection.user?.id ?? connection.id
        let isWorker = connection.user?.has(role: "worker") ?? false
        let job: Job
        switch command.type {
        case "create":
            guard (1...64).contains(command.id.count) else { return refuse(connection, id: command.id, "a job id has 1 to 64 characters") }
            guard jobs[command.id] == nil else { return refuse(connection, id: command.id, "job \(command.id) already exists") }
            job = Job(id: command.id, state: .draft, input: command.input ?? "", updatedBy: actor)
        case "move":
            guard var existing = jobs[command.id] else { return refuse(connection, id: command.id, "no job \(command.id)") }
            guard let target = command.to.flatMap(Job.State.init(rawValue:)) else {
                return refuse(connection, id: command.id, "\"to\" must be one of \(Job.State.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let rule = Job.transition(from: existing.state, to: target)
            guard rule.allowed else { return refuse(connection, id: command.id, "cannot move job \(command.id) from \(existing.state.rawValue) to \(target.rawValue)") }
            guard isWorker || !rule.workerOnly else { return refuse(connection, id: command.id, "only a worker may move a job to \(target.rawValue)") }
            if target == .success { guard let result = command.result else { return refuse(connection, id: command.id, "success needs a \"result\"") }; existing.result = result }
            if target == .failure { guard let error = command.error else { return refuse(connection, id: command.id, "failure needs an \"error\"") }; existing.error = error }
            existing.state = target
            existing.updatedBy = actor
            job = existing
        default:
            return refuse(connection, id: command.id, "unknown type \(command.type.debugDescription); use create or move")
        }
        jobs[job.id] = job
        try await room.storage.put("job:" + job.id, job)
        room.broadcast(text: Self.encode(JobMessage(type: "job", job: job)))
    }

    /// `GET` returns every job.
    public func onRequest(_ request: Request) async throws -> Response {
        guard request.method == .get || request.method == .head else { return .error(.methodNotAllowed, "use GET") }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ByteBuffer(string: Self.encode(JobsMessage(type: nil, jobs: sortedJobs()))))
    }

    private func refuse(_ connection: Connection, id: String?, _ reason: String) {
        connection.send(text: Self.encode(JobError(type: "error", id: id, error: reason)))
    }

    private func sortedJobs() -> [Job] {
        jobs.values.sorted { $0.id < $1.id }
    }

    private static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }
}

/// A message from a client or worker.
struct JobCommand: Decodable {
    var type: String
    var id: String
    var input: String?
    var to: String?
    var result: String?
    var error: String?
}

/// `{"type":"job","job":…}`.
struct JobMessage: Encodable {
    var type: String
    var job: Job
}

/// `{"type":"jobs","jobs":[…]}` (or `{"jobs":[…]}` over HTTP).
struct JobsMessage: Encodable {
    var type: String?
    var jobs: [Job]
}

/// `{"type":"error","id":…,"error":…}`.
struct JobError: Encodable {
    var type: String
    var id: String?
    var error: String
}
