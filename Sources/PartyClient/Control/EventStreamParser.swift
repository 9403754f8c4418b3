import NIOCore

/// Splits a Server-Sent Events body into events as its bytes arrive (lines end with `\n`,
/// `\r\n` or `\r`; `id:` and `data:` fields; comments and other fields ignored).
struct EventStreamParser {
    /// One event: its id (if it had one) and its data lines joined with `\n`.
    struct Event: Equatable {
        var id: String?
        var data: String
    }

    private var line: [UInt8] = []
    private var id: String?
    private var data: [String] = []
    private var afterCarriageReturn = false

    /// Adds bytes; returns the events they complete.
    mutating func feed(_ bytes: ByteBuffer) -> [Event] {
        var events: [Event] = []
        for byte in bytes.readableBytesView {
            if afterCarriageReturn {
                afterCarriageReturn = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                afterCarriageReturn = byte == UInt8(ascii: "\r")
                if let event = endLine() { events.append(event) }
            default:
                line.append(byte)
            }
        }
        return events
    }

    /// Handles one complete line; a blank one ends the event.
    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else {
            defer { id = nil; data = [] }
            return data.isEmpty ? nil : Event(id: id, data: data.joined(separator: "\n"))
        }
        guard line.first != UInt8(ascii: ":") else { return nil }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "id": id = String(value)
        case "data": data.append(String(value))
        default: break
        }
        return nil
    }
}
