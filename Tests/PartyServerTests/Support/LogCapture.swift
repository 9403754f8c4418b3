import Logging
import Synchronization

/// Collects every line a server logs, so tests can assert how many lines an event produced.
final class LogCapture: Sendable {
    /// One logged line: its level, message and metadata (the logger's and the call's, merged).
    struct Line: Sendable, CustomStringConvertible {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]

        /// Whether `text` occurs in the message or in any metadata value.
        func mentions(_ text: String) -> Bool {
            message.contains(text) || metadata.values.contains { $0.contains(text) }
        }

        var description: String {
            let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.prefix(80))" }
            return "[\(level)] \(message) \(fields.joined(separator: " "))"
        }
    }

    private let state = Mutex<[Line]>([])

    /// A logger whose lines (at `level` and above) land in this capture.
    func logger(level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "partyserver.capture") { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    /// Every line so far.
    var lines: [Line] { state.withLock { $0 } }

    /// The number of lines so far: a mark for ``lines(since:)``.
    var mark: Int { state.withLock { $0.count } }

    /// The lines logged after `mark`.
    func lines(since mark: Int) -> [Line] {
        state.withLock { Array($0[min(mark, $0.count)...]) }
    }

    /// Lines at `level` or above that mention `text`.
    func lines(mentioning text: String, atLeast level: Logger.Level = .info) -> [Line] {
        lines.filter { $0.level >= level && $0.mentions(text) }
    }

    /// Lines at `level` or above.
    func lines(atLeast level: Logger.Level) -> [Line] {
        lines.filter { $0.level >= level }
    }

    fileprivate func append(_ line: Line) {
        state.withLock { $0.append(line) }
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
            capture.append(Line(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
        }
    }
}
