import PartyFuzzing
import PartyServer

/// libFuzzer's entry point for the UTF-8 validator.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzUTF8.check(FuzzDriver.bytes(data, size))
    return 0
}

/// Fuzzes `UTF8Validation.isValid` against the standard library's `String(validating:)`, from
/// every start offset up to 8 so the eight-bytes-at-a-time path runs at every alignment.
/// Invariant: both agree on every input.
@main
enum FuzzUTF8 {
    static func main() {
        FuzzDriver.main(fuzzTestOneInput)
    }

    static func check(_ bytes: [UInt8]) {
        FuzzDriver.require(
            UTF8Validation.isValid(bytes) == (String(validating: bytes, as: UTF8.self) != nil),
            "UTF8Validation disagrees with String(validating:) on \(bytes)"
        )
        bytes.withUnsafeBytes { raw in
            for start in 1..<min(8, max(raw.count, 1)) {
                let expected = String(validating: bytes[start...], as: UTF8.self) != nil
                FuzzDriver.require(
                    UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: raw[start...])) == expected,
                    "UTF8Validation disagrees with String(validating:) on \(bytes) from offset \(start)"
                )
            }
        }
    }
}
