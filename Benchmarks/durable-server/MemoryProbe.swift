import HeapInfo
import PartyServer

/// Reports the process's heap use over HTTP, for the memory benchmark:
/// `GET /parties/memory/probe` returns `malloc_*` lines (`name value`, bytes) from glibc's
/// `mallinfo2`; `POST` first returns free heap memory to the system with `malloc_trim(0)`.
/// Elsewhere than glibc every value is 0.
actor MemoryProbe: Server {
    /// The room this instance serves.
    let room: Room

    /// Creates the probe.
    init(room: Room) {
        self.room = room
    }

    /// `GET` reads the heap figures; `POST` trims the heap, then reads them.
    func onRequest(_ request: Request) async throws -> Response {
        switch request.method {
        case .get:
            return .text(Self.report())
        case .post:
            Self.trim()
            return .text(Self.report())
        default:
            return .error(.methodNotAllowed, "GET reads the heap figures, POST trims the heap first")
        }
    }

    /// The heap figures, one `name value` line each.
    static func report() -> String {
        let info = heap_info_read()
        return """
            malloc_in_use_bytes \(info.in_use)
            malloc_free_bytes \(info.free)
            malloc_arena_bytes \(info.arena)
            malloc_mmapped_bytes \(info.mmapped)

            """
    }

    /// Returns free heap memory to the system where the C library can.
    static func trim() {
        _ = heap_info_trim()
    }
}
