/// TinyBase's hybrid logical clock stamps (src/common/hlc.ts, src/common/codec.ts).
///
/// An HLC is 16 characters of the alphabet "-0-9A-Z_a-z" (sorted as ASCII, so the strings sort
/// like the stamps): 7 characters for a 42-bit logical time in milliseconds, 4 for a 24-bit
/// counter and 5 for the low 30 bits of the hash of the store's unique id, each character six
/// bits, most significant first. The empty string is the "no stamp" HLC, older than all others.
public enum TinyBaseHLC {
    /// The 64 characters, in value order.
    public static let alphabet: [Character] = Array("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")

    /// How far ahead of the local clock a remote HLC may be and still move the clock (5 minutes).
    public static let maxFutureOffset: Int64 = 5 * 60 * 1000

    private static let alphabetBytes: [UInt8] = Array("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz".utf8)
    private static let decodeTable: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, byte) in alphabetBytes.enumerated() { table[Int(byte)] = Int8(index) }
        return table
    }()

    /// The character for the low six bits of `value`.
    static func encodeSix(_ value: Int64) -> UInt8 { alphabetBytes[Int(value & 63)] }

    /// The five characters for a unique id: the low 30 bits of its hash.
    public static func clientPart(uniqueId: String) -> String {
        let hash = Int64(TinyBaseHash.hash(uniqueId))
        return String(decoding: [24, 18, 12, 6, 0].map { encodeSix(hash >> $0) }, as: UTF8.self)
    }

    /// The HLC for a logical time, a counter and a five-character client part (bits above 42
    /// and 24 are dropped, as TinyBase's encoding does).
    public static func encode(logicalTime: Int64, counter: Int64, clientPart: String) -> String {
        let time = [36, 30, 24, 18, 12, 6, 0].map { encodeSix(logicalTime >> $0) }
        let count = [18, 12, 6, 0].map { encodeSix(counter >> $0) }
        return String(decoding: time + count, as: UTF8.self) + clientPart
    }

    /// Whether `hlc` is 16 characters of the alphabet.
    public static func isWellFormed(_ hlc: String) -> Bool {
        let utf8 = hlc.utf8
        return utf8.count == 16 && utf8.allSatisfy { $0 < 128 && decodeTable[Int($0)] >= 0 }
    }

    /// Whether `hlc` is valid on the wire: empty, or well formed (TinyBase's `isHlc(hlc, Infinity)`).
    public static func isValid(_ hlc: String) -> Bool {
        hlc.isEmpty || isWellFormed(hlc)
    }

    /// The logical time, counter and client part of a well-formed HLC.
    public static func decode(_ hlc: String) -> (logicalTime: Int64, counter: Int64, clientPart: String) {
        let bytes = Array(hlc.utf8)
        func digit(_ position: Int) -> Int64 {
            guard position < bytes.count, bytes[position] < 128 else { return 0 }
            return Int64(max(0, decodeTable[Int(bytes[position])]))
        }
        let time = (0..<7).reduce(Int64(0)) { $0 * 64 + digit($1) }
        let counter = (7..<11).reduce(Int64(0)) { $0 * 64 + digit($1) }
        let client = bytes.count > 11 ? String(decoding: bytes[11...], as: UTF8.self) : ""
        return (time, counter, client)
    }

    /// Whether `a` sorts after `b` as JavaScript compares them (by UTF-16 code unit, which for
    /// these ASCII strings is byte order).
    public static func sortsAfter(_ a: String, _ b: String) -> Bool {
        b.utf8.lexicographicallyPrecedes(a.utf8)
    }

    /// The later of two HLCs (`getLatestHlc`).
    public static func latest(_ a: String, _ b: String) -> String {
        sortsAfter(a, b) ? a : b
    }

    /// A store's clock (`getHlcFunctions`): stamps for local changes that sort after every
    /// stamp produced or seen, with the time taken as a parameter.
    public struct Clock: Sendable, Equatable {
        /// The five characters that end every HLC this clock makes.
        public let clientPart: String
        /// The logical time of the latest HLC made or seen (milliseconds).
        public private(set) var lastLogicalTime: Int64 = 0
        /// The counter of the latest HLC made or seen (-1 before any at this time).
        public private(set) var lastCounter: Int64 = -1

        /// A clock whose HLCs end with the client part of `uniqueId`.
        public init(uniqueId: String) {
            clientPart = TinyBaseHLC.clientPart(uniqueId: uniqueId)
        }

        /// Takes note of a remote HLC (`seenHlc`): the clock moves to the latest of its own
        /// time, the remote one and `now`. A malformed HLC or one more than five minutes ahead
        /// of `now` is ignored; the empty HLC only brings the clock up to `now`.
        public mutating func seen(_ hlc: String, now: Int64) {
            guard hlc.isEmpty || isWellFormed(hlc) else { return }
            let (remoteTime, remoteCounter, _) = hlc.isEmpty ? (0, 0, "") : decode(hlc)
            guard remoteTime <= now + maxFutureOffset else { return }
            advance(remoteTime: remoteTime, remoteCounter: remoteCounter, now: now)
        }

        private mutating func advance(remoteTime: Int64, remoteCounter: Int64, now: Int64) {
            let previous = lastLogicalTime
            lastLogicalTime = Swift.max(previous, remoteTime, now)
            if lastLogicalTime == previous {
                if lastLogicalTime == remoteTime { lastCounter = Swift.max(lastCounter, remoteCounter) }
            } else {
                lastCounter = lastLogicalTime == remoteTime ? remoteCounter : -1
            }
        }

        /// The HLC for a local change at `now` (`getNextHlc`); when the counter would reach
        /// 2^24 the logical time moves on a millisecond instead.
        public mutating func next(now: Int64) -> String {
            advance(remoteTime: 0, remoteCounter: 0, now: now)
            lastCounter += 1
            if lastCounter == 1 << 24 {
                lastLogicalTime += 1
                lastCounter = 0
            }
            return TinyBaseHLC.encode(logicalTime: lastLogicalTime, counter: lastCounter, clientPart: clientPart)
        }
    }
}
