import PartyFuzzing
import PartyYjs

/// libFuzzer's entry point for the Yjs update reader.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzYjs.check(FuzzDriver.bytes(data, size))
    return 0
}

/// Fuzzes `YDocumentState.apply` with arbitrary bytes as an update (format v1). Invariants: a
/// refused update leaves the state empty; an accepted one, encoded again, reads back to the same
/// state vector and the same bytes; applying it twice brings nothing the second time; cutting it
/// by its own state vector leaves nothing, and by an empty one everything.
@main
enum FuzzYjs {
    static func main() {
        FuzzDriver.main(fuzzTestOneInput)
    }

    static func check(_ bytes: [UInt8]) {
        var state = YDocumentState()
        guard (try? state.apply(bytes)) != nil else {
            FuzzDriver.require(state.isEmpty, "a refused update changed the state: \(bytes)")
            FuzzDriver.require((try? YUpdates.stateVector(of: bytes)) == nil, "stateVector(of:) took what apply refused: \(bytes)")
            return
        }
        let encoded = state.encode()
        var again = YDocumentState()
        FuzzDriver.require((try? again.apply(encoded)) != nil, "the encoded state does not read back: \(bytes)")
        FuzzDriver.require(again.stateVector == state.stateVector, "the state vector changed through encoding: \(bytes)")
        FuzzDriver.require(again.encode() == encoded, "encoding is not stable: \(bytes)")
        FuzzDriver.require((try? state.apply(bytes)) == false, "applying an update twice brought something new: \(bytes)")
        FuzzDriver.require(state.encode() == encoded, "applying an update twice changed the state: \(bytes)")
        let rest = state.encode(since: state.stateVector)
        var empty = YDocumentState()
        FuzzDriver.require((try? empty.apply(rest)) != nil, "the diff against its own state vector does not read: \(bytes)")
        FuzzDriver.require(empty.stateVector.clocks.isEmpty, "the diff against its own state vector holds history: \(bytes)")
        FuzzDriver.require(state.encode(since: YStateVector()) == encoded, "the diff against nothing is not the whole document: \(bytes)")
    }
}
