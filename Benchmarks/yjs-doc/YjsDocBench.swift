import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HeapInfo
import PartyYjs

/// PartyYjs' `YDocumentState` in one process, without a server: the heap a loaded document
/// takes (glibc `mallinfo2` after `malloc_trim`) and the CPU time of applying a history one
/// update at a time, encoding it, and loading the encoded snapshot. Prints one JSON line per
/// measurement on stdout.
@main
struct YjsDocBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yjs-doc-bench",
        abstract: "PartyYjs documents in memory: heap per loaded document, apply/encode/load times."
    )

    @Flag(help: "Small documents only (a smoke run).")
    var quick = false

    @Option(help: "Times each timing is repeated (the median is reported).")
    var repeats = 3

    func run() throws {
        let memoryShapes: [Shape] =
            quick
            ? [.chars(targetBytes: 64 << 10), .paragraphs(targetBytes: 64 << 10)]
            : [.chars(targetBytes: 1 << 20), .charCount(1_000_000), .paragraphs(targetBytes: 1 << 20)]
        for shape in memoryShapes { try memory(shape) }
        let histories: [(updates: Int, clients: Int)] =
            quick ? [(2_000, 1), (2_000, 10)] : [(10_000, 1), (10_000, 10), (100_000, 1), (100_000, 10)]
        for history in histories { try timings(updates: history.updates, clients: history.clients) }
    }

    // MARK: Memory

    enum Shape {
        /// Single characters until the encoded document reaches `targetBytes`.
        case chars(targetBytes: Int)
        /// This many single characters.
        case charCount(Int)
        /// 100-character paragraphs until the encoded document reaches `targetBytes`.
        case paragraphs(targetBytes: Int)

        var name: String {
            switch self {
            case .chars(let bytes): return "chars-to-\(bytes)-bytes"
            case .charCount(let count): return "chars-\(count)"
            case .paragraphs(let bytes): return "paras100-to-\(bytes)-bytes"
            }
        }

        var insertLength: Int {
            if case .paragraphs = self { return 100 }
            return 1
        }

        func isDone(inserts: Int, document: YDocumentState) -> Bool {
            switch self {
            case .chars(let bytes), .paragraphs(let bytes): return document.byteCount >= bytes
            case .charCount(let count): return inserts >= count
            }
        }
    }

    /// Types the document one update per insert, then measures the heap it holds, encodes it, and
    /// measures the heap of a document loaded from that encoding.
    func memory(_ shape: Shape) throws {
        let client: UInt64 = 3_000_000_000
        let length = shape.insertLength
        let base = heapInUse()
        var typed = YDocumentState()
        var inserts = 0
        let typeStart = DispatchTime.now().uptimeNanoseconds
        while !shape.isDone(inserts: inserts, document: typed) {
            try typed.apply(Self.insert(client: client, clock: UInt64(inserts * length), length: length, seed: inserts))
            inserts += 1
        }
        let typeSeconds = Self.seconds(since: typeStart)
        let typedHeap = heapInUse() - base
        let encodeStart = DispatchTime.now().uptimeNanoseconds
        let encoded = typed.encode()
        let encodeSeconds = Self.seconds(since: encodeStart)
        let structs = typed.structCount
        typed = YDocumentState()
        let withEncoded = heapInUse()
        let rssBefore = Self.resetPeakRSS()
        let loadStart = DispatchTime.now().uptimeNanoseconds
        var loaded = YDocumentState()
        try loaded.apply(encoded)
        let loadSeconds = Self.seconds(since: loadStart)
        let loadPeak = Self.statusKiB("VmHWM").map { ($0 - (rssBefore ?? $0)) * 1024 }
        let loadedHeap = heapInUse() - withEncoded
        let again = loaded.encode()
        guard again == encoded else { throw ValidationError("the loaded document encodes differently") }
        withExtendedLifetime(loaded) {}
        let characters = inserts * length
        emit([
            "measure": .string("memory"), "shape": .string(shape.name), "inserts": .int(inserts), "insert_length": .int(length),
            "characters": .int(characters), "structs": .int(structs), "encoded_bytes": .int(encoded.count),
            "encoded_bytes_per_char": .number(Double(encoded.count) / Double(characters)),
            "heap_typed_bytes": .int(typedHeap), "heap_loaded_bytes": .int(loadedHeap),
            "heap_loaded_per_encoded_byte": .number(Double(loadedHeap) / Double(encoded.count)),
            "heap_loaded_per_struct": .number(Double(loadedHeap) / Double(structs)),
            "type_seconds": .number(typeSeconds), "encode_seconds": .number(encodeSeconds), "load_seconds": .number(loadSeconds),
            "load_peak_rss_growth_bytes": .int(loadPeak ?? -1),
        ])
    }

    // MARK: Timings

    /// Applies a history of `updates` one-character updates from `clients` clients typing in
    /// turn (update u: client u % clients at clock u / clients), encodes it, and loads the
    /// encoding: the CPU parts of building and waking a room, without storage.
    func timings(updates: Int, clients: Int) throws {
        let history = (0..<updates).map { index in
            Self.insert(client: 3_000_000_000 + UInt64(index % clients), clock: UInt64(index / clients), length: 1, seed: index)
        }
        var applySeconds: [Double] = []
        var encodeSeconds: [Double] = []
        var loadSeconds: [Double] = []
        var encodedBytes = 0
        for _ in 0..<max(repeats, 1) {
            var document = YDocumentState()
            var start = DispatchTime.now().uptimeNanoseconds
            for update in history { try document.apply(update) }
            applySeconds.append(Self.seconds(since: start))
            start = DispatchTime.now().uptimeNanoseconds
            let encoded = document.encode()
            encodeSeconds.append(Self.seconds(since: start))
            encodedBytes = encoded.count
            start = DispatchTime.now().uptimeNanoseconds
            var loaded = YDocumentState()
            try loaded.apply(encoded)
            loadSeconds.append(Self.seconds(since: start))
            // Typed characters merge into items, so the check is the clock total, not the struct count.
            let ticks = loaded.stateVector.clocks.values.reduce(0, +)
            guard ticks == UInt64(updates) else { throw ValidationError("the loaded document reaches \(ticks) ticks, not \(updates)") }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        emit([
            "measure": .string("timings"), "updates": .int(updates), "clients": .int(clients), "repeats": .int(max(repeats, 1)),
            "history_bytes": .int(history.reduce(0) { $0 + $1.count }), "encoded_bytes": .int(encodedBytes),
            "apply_each_seconds": .number(median(applySeconds), decimals: 6),
            "apply_each_us_per_update": .number(median(applySeconds) * 1e6 / Double(updates)),
            "encode_seconds": .number(median(encodeSeconds), decimals: 6),
            "load_snapshot_seconds": .number(median(loadSeconds), decimals: 6),
        ])
    }

    // MARK: Helpers

    /// An update in which `client` inserts `length` letters at `clock`: at the start of the root
    /// text `text` when `clock` is 0, else after its own previous character.
    static func insert(client: UInt64, clock: UInt64, length: Int, seed: Int) -> [UInt8] {
        var out: [UInt8] = [1, 1]
        varUInt(client, &out)
        varUInt(clock, &out)
        if clock == 0 {
            out += [0x04, 1, 4] + Array("text".utf8)
        } else {
            out.append(0x84)
            varUInt(client, &out)
            varUInt(clock - 1, &out)
        }
        varUInt(UInt64(length), &out)
        for offset in 0..<length { out.append(UInt8(ascii: "a") + UInt8((seed + offset) % 26)) }
        out.append(0)
        return out
    }

    static func varUInt(_ value: UInt64, _ out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Resets the process's peak RSS (Linux: `5` to /proc/self/clear_refs) and returns VmRSS in
    /// KiB, or nil where that is not available.
    static func resetPeakRSS() -> Int? {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard write(fd, "5", 1) == 1 else { return nil }
        return statusKiB("VmRSS")
    }

    /// A `KEY: N kB` field of /proc/self/status, in KiB.
    static func statusKiB(_ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    /// Heap bytes in use after returning free memory to the system.
    func heapInUse() -> Int {
        _ = heap_info_trim()
        return Int(heap_info_read().in_use)
    }

    enum Value {
        case int(Int)
        case number(Double, decimals: Int = 3)
        case string(String)
    }

    /// Prints one JSON line (keys sorted).
    func emit(_ fields: [String: Value]) {
        let parts = fields.keys.sorted().map { key -> String in
            let value: String
            switch fields[key]! {
            case .int(let number): value = String(number)
            case .number(let number, let decimals): value = String(format: "%.\(decimals)f", number)
            case .string(let text): value = "\"\(text)\""
            }
            return "\"\(key)\":\(value)"
        }
        print("{" + parts.joined(separator: ",") + "}")
    }
}
