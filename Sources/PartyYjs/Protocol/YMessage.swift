/// A message of the y-websocket protocol (binary frames): sync steps and updates, awareness, and
/// the question for everyone's awareness.
enum YMessage {
    /// The message type numbers (the frame's first varuint).
    enum Kind {
        static let sync: UInt8 = 0, awareness: UInt8 = 1, auth: UInt8 = 2, queryAwareness: UInt8 = 3
    }

    /// The sync sub-type numbers (the varuint after `Kind.sync`).
    enum Sync {
        static let step1: UInt8 = 0, step2: UInt8 = 1, update: UInt8 = 2
    }

    /// A peer's state vector: it asks for what it lacks.
    case syncStep1(YStateVector)
    /// What the receiver lacked, as an update.
    case syncStep2([UInt8])
    /// A change, as an update.
    case update([UInt8])
    /// Awareness states (cursors, names) of some clients.
    case awareness(YAwareness)
    /// A request for every client's awareness state.
    case queryAwareness

    /// Why a binary frame is not a y-websocket message.
    enum ParseError: Error {
        /// The frame is cut short or holds a malformed update, state vector or awareness update.
        case malformed(YUpdateError)
        /// The message type or sync sub-type is not one this server handles.
        case unsupported(String)
    }

    /// Reads one frame.
    static func parse(_ bytes: [UInt8]) throws(ParseError) -> YMessage {
        var reader = Lib0Reader(bytes)
        do {
            let kind = try reader.readVarUInt()
            switch kind {
            case UInt64(Kind.sync):
                let sub = try reader.readVarUInt()
                let payload = try reader.readByteRange()
                guard reader.isAtEnd else { throw YUpdateError.trailingBytes(offset: reader.position) }
                switch sub {
                case UInt64(Sync.step1): return .syncStep1(try YStateVector(decoding: Array(bytes[payload])))
                case UInt64(Sync.step2): return .syncStep2(Array(bytes[payload]))
                case UInt64(Sync.update): return .update(Array(bytes[payload]))
                default: throw ParseError.unsupported("sync message type \(sub)")
                }
            case UInt64(Kind.awareness):
                let payload = try reader.readByteRange()
                guard reader.isAtEnd else { throw YUpdateError.trailingBytes(offset: reader.position) }
                return .awareness(try YAwareness(decoding: bytes, range: payload))
            case UInt64(Kind.queryAwareness):
                return .queryAwareness
            default:
                throw ParseError.unsupported("message type \(kind)")
            }
        } catch let error as ParseError {
            throw error
        } catch let error as YUpdateError {
            throw .malformed(error)
        } catch {
            throw .unsupported("\(error)")
        }
    }

    /// Sync step 1 carrying `stateVector`.
    static func step1(_ stateVector: YStateVector) -> [UInt8] {
        sync(Sync.step1, stateVector.encoded())
    }

    /// Sync step 2 carrying `update`.
    static func step2(_ update: [UInt8]) -> [UInt8] {
        sync(Sync.step2, update)
    }

    /// An update message carrying `update`.
    static func update(_ update: [UInt8]) -> [UInt8] {
        sync(Sync.update, update)
    }

    /// An awareness message carrying `awareness`.
    static func awareness(_ awareness: YAwareness) -> [UInt8] {
        let payload = awareness.encoded()
        var out: [UInt8] = [Kind.awareness]
        out.reserveCapacity(payload.count + 6)
        Lib0Writer.writeBytes(payload, to: &out)
        return out
    }

    private static func sync(_ sub: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [Kind.sync, sub]
        out.reserveCapacity(payload.count + 8)
        Lib0Writer.writeBytes(payload, to: &out)
        return out
    }
}
