import PartyFuzzing
import PartyServer

/// libFuzzer's entry point for the worker credentials parser.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzCredentials.check(FuzzDriver.bytes(data, size))
    return 0
}

/// Fuzzes `WorkerCredentials(authorization:)` with the input as an `Authorization` value.
/// Invariants: the value starts with the scheme `PartyWorker ` (ASCII, any case) when it parses;
/// the id has no `:` and does not start with a space; the parsed credentials survive a round trip
/// through `authorization`.
@main
enum FuzzCredentials {
    static func main() {
        FuzzDriver.main(fuzzTestOneInput)
    }

    static func check(_ bytes: [UInt8]) {
        let value = String(decoding: bytes, as: UTF8.self)
        guard let credentials = WorkerCredentials(authorization: value) else { return }
        let scheme = Array("partyworker ".utf8)
        let head = value.utf8.prefix(scheme.count).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        FuzzDriver.require(head == scheme, "\(value.debugDescription) parsed without the PartyWorker scheme")
        FuzzDriver.require(!credentials.id.contains(":") && !credentials.id.hasPrefix(" "), "id \(credentials.id.debugDescription)")
        FuzzDriver.require(
            WorkerCredentials(authorization: credentials.authorization) == credentials,
            "\(credentials.authorization.debugDescription) does not parse back to \(credentials)"
        )
    }
}
