// The thinnest Hummingbird 2 broadcast server: the reference point ("the limit of our stack")
// for PartyServer's chat room. WebSocket at /parties/:server/:name; every message is relayed,
// with its opcode, to every *other* connection of the same room. Rooms live in one
// Mutex-protected dictionary; nothing else (no hooks, no persistence, no HTTP routes).
//
// Usage: hummingbird-baseline [PORT]   (or PORT in the environment; 0 picks a free port)
// Prints `listening PORT` on stdout once the socket is bound.

import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization

/// Rooms by "server/name", each a dictionary of connection id → outbound writer.
final class Rooms: Sendable {
    private let rooms = Mutex<[String: [Int: WebSocketOutboundWriter]]>([:])
    private let nextID = Atomic<Int>(0)

    func join(_ room: String, _ writer: WebSocketOutboundWriter) -> Int {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        rooms.withLock { $0[room, default: [:]][id] = writer }
        return id
    }

    func leave(_ room: String, _ id: Int) {
        rooms.withLock { rooms in
            rooms[room]?[id] = nil
            if rooms[room]?.isEmpty == true { rooms[room] = nil }
        }
    }

    /// The writers of every connection in `room` but `id`.
    func others(in room: String, except id: Int) -> [WebSocketOutboundWriter] {
        rooms.withLock { rooms in
            guard let members = rooms[room] else { return [] }
            var result: [WebSocketOutboundWriter] = []
            result.reserveCapacity(members.count)
            for (member, writer) in members where member != id { result.append(writer) }
            return result
        }
    }
}

/// "/parties/chat/room-1?x" → "chat/room-1"; nil for any other path.
func roomKey(_ path: String?) -> String? {
    guard let path else { return nil }
    let pathOnly = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    let parts = pathOnly.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 4, parts[0].isEmpty, parts[1] == "parties", !parts[2].isEmpty, !parts[3].isEmpty else { return nil }
    return "\(parts[2])/\(parts[3])"
}

let arguments = CommandLine.arguments
let port = Int(arguments.count > 1 ? arguments[1] : ProcessInfo.processInfo.environment["PORT"] ?? "0") ?? 0
var logger = Logger(label: "hummingbird-baseline")
logger.logLevel = .warning

let rooms = Rooms()
let app = Application(
    router: Router(),
    server: .http1WebSocketUpgrade(
        configuration: .init(ws: .init(maxFrameSize: 1 << 20, validateUTF8: false))
    ) { request, _, _ in
        guard let room = roomKey(request.path) else { return .dontUpgrade }
        return .upgrade([:]) { inbound, outbound, _ in
            let id = rooms.join(room, outbound)
            defer { rooms.leave(room, id) }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                let frame: WebSocketOutboundWriter.OutboundFrame
                switch message {
                case .text(let text): frame = .text(text)
                case .binary(let buffer): frame = .binary(buffer)
                }
                for peer in rooms.others(in: room, except: id) {
                    try? await peer.write(frame)
                }
            }
        }
    },
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
    onServerRunning: { channel in
        print("listening \(channel.localAddress?.port ?? port)")
        fflush(nil)  // all output streams: stdout is usually a pipe here
    },
    logger: logger
)
try await app.runService()
