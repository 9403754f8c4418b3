/// A WebSocket frame built and parsed by hand, so tests can write frames that break RFC 6455
/// (unmasked, oversized control frames, reserved bits and opcodes) and read exactly what the
/// server put on the wire.
struct WireFrame: Equatable, Sendable, CustomStringConvertible {
    var fin: Bool
    /// The RSV1–3 bits as they sit in the first byte (0x40, 0x20, 0x10).
    var rsv: UInt8
    var opcode: UInt8
    var masked: Bool
    var payload: [UInt8]

    static let continuation: UInt8 = 0x0
    static let text: UInt8 = 0x1
    static let binary: UInt8 = 0x2
    static let close: UInt8 = 0x8
    static let ping: UInt8 = 0x9
    static let pong: UInt8 = 0xA

    /// The bytes of a frame; masked with a random key unless `masked` is false.
    static func encode(opcode: UInt8, payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, masked: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | (rsv & 0x70) | (opcode & 0x0F)]
        let maskBit: UInt8 = masked ? 0x80 : 0
        switch payload.count {
        case 0..<126:
            bytes.append(maskBit | UInt8(payload.count))
        case 126...0xFFFF:
            bytes.append(maskBit | 126)
            bytes.append(contentsOf: [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)])
        default:
            bytes.append(maskBit | 127)
            bytes.append(contentsOf: (0..<8).reversed().map { UInt8(truncatingIfNeeded: payload.count >> ($0 * 8)) })
        }
        guard masked else { return bytes + payload }
        let key = (0..<4).map { _ in UInt8.random(in: 0...255) }
        bytes.append(contentsOf: key)
        bytes.append(contentsOf: payload.enumerated().map { $0.element ^ key[$0.offset % 4] })
        return bytes
    }

    /// A close frame payload: the code (two bytes) followed by `reason`.
    static func closePayload(code: Int, reason: [UInt8] = []) -> [UInt8] {
        [UInt8(truncatingIfNeeded: code >> 8), UInt8(truncatingIfNeeded: code)] + reason
    }

    /// The complete frames at the front of `bytes` (a partial frame at the end is left out).
    static func parse(_ bytes: ArraySlice<UInt8>) -> [WireFrame] {
        var frames: [WireFrame] = []
        var index = bytes.startIndex
        while bytes.endIndex - index >= 2 {
            let first = bytes[index]
            let second = bytes[index + 1]
            var length = Int(second & 0x7F)
            var header = 2
            if length == 126 {
                guard bytes.endIndex - index >= 4 else { break }
                length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
                header = 4
            } else if length == 127 {
                guard bytes.endIndex - index >= 10 else { break }
                length = (0..<8).reduce(0) { $0 << 8 | Int(bytes[index + 2 + $1]) }
                header = 10
            }
            let masked = second & 0x80 != 0
            let key = masked ? Array(bytes[(index + header)..<min(index + header + 4, bytes.endIndex)]) : []
            if masked { header += 4 }
            guard length >= 0, bytes.endIndex - index - header >= length else { break }
            var payload = Array(bytes[(index + header)..<(index + header + length)])
            if masked { payload = payload.enumerated().map { $0.element ^ key[$0.offset % 4] } }
            frames.append(WireFrame(fin: first & 0x80 != 0, rsv: first & 0x70, opcode: first & 0x0F, masked: masked, payload: payload))
            index += header + length
        }
        return frames
    }

    /// The status code of a close frame, or `nil` if it carries none (or is not a close frame).
    var closeCode: Int? {
        guard opcode == Self.close, payload.count >= 2 else { return nil }
        return Int(payload[0]) << 8 | Int(payload[1])
    }

    /// The payload as UTF-8 text (lossy).
    var text: String { String(decoding: payload, as: UTF8.self) }

    var description: String {
        let shown = payload.count > 40 ? "\(payload.count) bytes" : "\(payload)"
        return "frame(fin: \(fin), rsv: \(rsv), opcode: \(opcode), masked: \(masked), payload: \(shown))"
    }
}
