import Foundation
import NIOCore

extension PartyControl {
    /// Calls `onStatus` once for each status of the room's current activation — the earlier
    /// ones first, then each new one — and returns after `terminated`.
    ///
    /// When the stream drops before `terminated` (a restart, a proxy, the network), it reconnects
    /// by itself, with `Last-Event-ID`, after ``reconnectDelay`` (doubling up to 5 s), so no
    /// status is missed and none is delivered twice. It gives up with the last error after
    /// ``reconnectLimit`` failed reconnections in a row. A 4xx answer (an unknown room, a wrong
    /// key) is thrown at once. Cancelling the task ends it without an error.
    public func statusStream(_ backendID: String, onStatus: @Sendable (PartyBackendStatus) async -> Void) async throws(PartyControlError) {
        let path = try roomPath(backendID, "status/stream")
        var last: EventPosition?
        var failures = 0
        var delay = reconnectDelay
        while !Task.isCancelled {
            var headers = [("Accept", "text/event-stream")]
            if let last { headers.append(("Last-Event-ID", last.id)) }
            let request = request("GET", path, headers: headers)
            let url = baseURL + request.target
            let outcome = await follow(request, url: url, after: last) { position, status in
                last = position
                failures = 0
                delay = reconnectDelay
                await onStatus(status)
            }
            switch outcome {
            case .terminated:
                return
            case .failed(let error):
                if case .http(let answer) = error, (400..<500).contains(answer.status) { throw error }
                failures += 1
                guard failures <= reconnectLimit else { throw error }
            }
            do {
                try await clock.sleep(until: clock.now.addingTimeInterval(delay.seconds))
            } catch {
                return
            }
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// How one connection of a status stream ended.
    private enum Outcome {
        case terminated
        case failed(PartyControlError)
    }

    /// Reads one connection of the stream, delivering events after `after`.
    private func follow(
        _ request: HTTPExchange.Request, url: String, after: EventPosition?,
        deliver: (EventPosition?, PartyBackendStatus) async -> Void
    ) async -> Outcome {
        var parser = EventStreamParser()
        var status: Int?
        var errorBody = ""
        var newest = after
        do {
            for try await part in EventStreamReader.open(request) {
                switch part {
                case .head(let code):
                    status = code
                case .body(let bytes) where status != 200:
                    errorBody += String(buffer: bytes)
                case .body(let bytes):
                    for event in parser.feed(bytes) {
                        let position = event.id.flatMap(EventPosition.init)
                        // Forward-only: anything at or before the newest delivered was seen already.
                        if let position, let newest, position <= newest { continue }
                        let decoded: PartyBackendStatus
                        do {
                            decoded = try JSONDecoder().decode(PartyBackendStatus.self, from: Data(event.data.utf8))
                        } catch {
                            return .failed(.invalidResponse(url: url, detail: "a status event is not a status: \(error)"))
                        }
                        if position != nil { newest = position }
                        await deliver(newest, decoded)
                        if decoded.status == .terminated { return .terminated }
                    }
                }
            }
        } catch {
            if Task.isCancelled { return .terminated }
            return .failed(.unreachable(url: url, detail: "the stream broke: \(ErrorDescription.of(error))"))
        }
        if Task.isCancelled { return .terminated }
        guard let status else { return .failed(.unreachable(url: url, detail: "the connection closed before an answer")) }
        guard status == 200 else { return .failed(.http(HTTPError(status: status, body: errorBody))) }
        return .failed(.unreachable(url: url, detail: "the stream ended before the room terminated"))
    }
}

/// A status event's id, `ACTIVATION.SEQUENCE`, ordered as the server numbers them.
struct EventPosition: Comparable {
    var activation: UInt64
    var sequence: Int

    init?(_ id: String) {
        let parts = id.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let activation = UInt64(parts[0]), let sequence = Int(parts[1]) else { return nil }
        self.activation = activation
        self.sequence = sequence
    }

    /// The id as sent.
    var id: String { "\(activation).\(sequence)" }

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.activation, lhs.sequence) < (rhs.activation, rhs.sequence)
    }
}
