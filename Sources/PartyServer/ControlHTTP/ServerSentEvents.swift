import Foundation
import NIOCore
import ServiceLifecycle

/// Writes status events as a Server-Sent Events body (`text/event-stream`).
enum ServerSentEvents {
    /// The response headers of an event stream.
    static let headers: HTTPFields = [
        .contentType: "text/event-stream; charset=utf-8",
        .cacheControl: "no-store",
        HTTPField.Name("X-Accel-Buffering")!: "no",
    ]

    /// One event: `id:` (when `withID`) and one `data:` line of JSON.
    static func format(_ event: RoomStatusEvent, withID: Bool) -> String {
        let data = ControlJSON.text(ControlJSON.Status(event))
        return withID ? "id: \(event.id)\ndata: \(data)\n\n" : "data: \(data)\n\n"
    }

    /// Writes `events` until they end, with a comment line every `heartbeat` on `clock` (so a
    /// vanished client is noticed and proxies keep the stream open). Returns when the events end
    /// or on graceful shutdown; throws when writing fails.
    static func pump(
        _ events: AsyncStream<RoomStatusEvent>,
        withIDs: Bool,
        heartbeat: Duration,
        clock: any PartyClock,
        write: (ByteBuffer) async throws -> Void
    ) async throws {
        let (output, sink) = AsyncStream.makeStream(of: ByteBuffer.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events {
                    sink.yield(ByteBuffer(string: format(event, withID: withIDs)))
                }
                sink.finish()
            }
            group.addTask {
                while !Task.isCancelled {
                    do {
                        try await clock.sleep(until: clock.now.addingTimeInterval(heartbeat.timeInterval))
                    } catch {
                        return
                    }
                    sink.yield(ByteBuffer(string: ": keep-alive\n\n"))
                }
            }
            defer { group.cancelAll() }
            try await withGracefulShutdownHandler {
                for await chunk in output {
                    try await write(chunk)
                }
            } onGracefulShutdown: {
                sink.finish()
            }
        }
    }
}
