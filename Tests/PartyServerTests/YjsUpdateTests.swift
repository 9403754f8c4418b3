import Foundation
import PartyServer
import PartyYjs
import Testing

#if os(Linux)
import Glibc
#endif

/// Checks PartyYjs against golden vectors of the real Yjs (`Fixtures/yjs-vectors.json`, made by
/// `Tests/Node/yjs-vectors.js` with Debian's node-yjs) and, where bytes may legitimately differ
/// from Yjs' own (struct order, Skip placement), by rendering our bytes with Yjs
/// (`Tests/Node/yjs-render.js`) and comparing the content.
@Suite("Yjs update format v1 against the real Yjs")
struct YjsUpdateTests {
    // MARK: State vectors of updates

    @Test("stateVector(of:) of our merge of every case's updates is Yjs' encodeStateVectorFromUpdate of Yjs' merge")
    func mergedStateVectorMatchesYjs() throws {
        let vectors = try YjsVectors.load()
        for testCase in vectors.cases {
            recordingErrors(of: testCase.name) {
                let expected = try testCase.expectedStateVector()
                let merged = try YUpdates.merge(try testCase.updateBytes())
                let stateVector = try YUpdates.stateVector(of: merged)
                #expect(stateVector == expected, "\(testCase.name): our merge has \(describe(stateVector)), Yjs' \(describe(expected))")
            }
        }
    }

    @Test("stateVector(of:) of each update and of Yjs' merge equals Yjs' (counting only what follows on from clock 0, stopping at a Skip)")
    func updateStateVectorsMatchYjs() throws {
        let vectors = try YjsVectors.load()
        for testCase in vectors.cases {
            recordingErrors(of: testCase.name) {
                let expectedOfMerge = try testCase.expectedStateVector()
                let ofYjsMerge = try YUpdates.stateVector(of: try testCase.mergedBytes())
                #expect(ofYjsMerge == expectedOfMerge, "\(testCase.name): Yjs' merge read as \(describe(ofYjsMerge)), Yjs \(describe(expectedOfMerge))")
                let updates = try testCase.updateBytes()
                try #require(updates.count == testCase.updateStateVectors.count, "\(testCase.name): fixture has one state vector per update")
                for (index, update) in updates.enumerated() {
                    let expected = try YStateVector(fixtureClocks: testCase.updateStateVectors[index])
                    let stateVector = try YUpdates.stateVector(of: update)
                    #expect(stateVector == expected, "\(testCase.name), update \(index): \(describe(stateVector)), Yjs \(describe(expected))")
                }
            }
        }
    }

    @Test("YDocumentState has Yjs' state vector after applying every update, in the recorded order and in reverse")
    func documentStateVectorMatchesYjs() throws {
        let vectors = try YjsVectors.load()
        for testCase in vectors.cases {
            recordingErrors(of: testCase.name) {
                let updates = try testCase.updateBytes()
                let expected = try testCase.expectedStateVector()
                let inOrder = try documentState(applying: updates)
                let reversed = try documentState(applying: updates.reversed())
                #expect(inOrder.stateVector == expected, "\(testCase.name), in order: \(describe(inOrder.stateVector)), Yjs \(describe(expected))")
                #expect(reversed.stateVector == expected, "\(testCase.name), reversed: \(describe(reversed.stateVector)), Yjs \(describe(expected))")
                #expect(try YUpdates.stateVector(of: inOrder.encode()) == expected, "\(testCase.name): stateVector(of: encode())")
                if !expected.clocks.isEmpty {
                    #expect(!inOrder.isEmpty, "\(testCase.name): a state with content says it is empty")
                }
            }
        }
    }

    // MARK: Malformed input

    @Test("Malformed updates throw from merge, diff, stateVector(of:) and apply, and apply leaves the state as it was")
    func malformedUpdatesThrow() throws {
        let vectors = try YjsVectors.load()
        #expect(vectors.malformed.count >= 40, "the fixture has \(vectors.malformed.count) malformed inputs")
        let rich = try #require(vectors.cases.first(where: { $0.name == "mixed-four-clients" }), "the fixture has the mixed-four-clients case")
        var state = try documentState(applying: try rich.updateBytes())
        let before = state.encode()
        let stateVectorBefore = state.stateVector
        let valid = try rich.mergedBytes()

        for input in vectors.malformed {
            let bytes = try input.decodedBytes()
            #expect(throws: YUpdateError.self, "merge([x]) accepted: \(input.name)") { try YUpdates.merge([bytes]) }
            #expect(throws: YUpdateError.self, "merge([valid, x]) accepted: \(input.name)") { try YUpdates.merge([valid, bytes]) }
            #expect(throws: YUpdateError.self, "stateVector(of:) accepted: \(input.name)") { try YUpdates.stateVector(of: bytes) }
            #expect(throws: YUpdateError.self, "diff(_:against:) accepted: \(input.name)") { try YUpdates.diff(bytes, against: YStateVector()) }

            do {
                _ = try state.apply(bytes)
                Issue.record("apply accepted: \(input.name)")
            } catch {}
            #expect(state.encode() == before, "apply changed the state before throwing on: \(input.name)")
            #expect(state.stateVector == stateVectorBefore, "apply changed the state vector before throwing on: \(input.name)")

            var fresh = YDocumentState()
            do {
                _ = try fresh.apply(bytes)
                Issue.record("apply to an empty state accepted: \(input.name)")
            } catch {}
            #expect(fresh.isEmpty, "an empty state is no longer empty after rejecting: \(input.name)")
        }
    }

    @Test("The empty update [0, 0] is valid and brings nothing; an empty state encodes to an update without clients")
    func emptyUpdateBringsNothing() throws {
        var state = YDocumentState()
        #expect(state.isEmpty)
        let applied = try state.apply([0, 0])
        #expect(!applied, "[0, 0] brought something new")
        #expect(state.isEmpty)
        #expect(state.stateVector == YStateVector())
        #expect(try YUpdates.stateVector(of: state.encode()) == YStateVector())
        #expect(try YUpdates.stateVector(of: [0, 0]) == YStateVector())
        #expect(try YUpdates.stateVector(of: YUpdates.merge([])) == YStateVector())
        #expect(try YUpdates.stateVector(of: YUpdates.merge([[0, 0], [0, 0]])) == YStateVector())
        #expect(try YUpdates.stateVector(of: YUpdates.diff([0, 0], against: YStateVector([5: 3]))) == YStateVector())
    }

    // MARK: State vector encoding

    @Test("YStateVector round-trips through encoded() and init(decoding:), with client ids beyond 2^32 up to 2^53 - 1")
    func stateVectorRoundTrips() throws {
        let vectors = try YjsVectors.load()
        for vector in vectors.stateVectors {
            let expected = try YStateVector(fixtureClocks: vector.clocks)
            let decoded = try YStateVector(decoding: try decodeBase64(vector.bytes))
            #expect(decoded == expected, "Yjs' \(vector.bytes) read as \(describe(decoded)), Yjs wrote \(describe(expected))")
            #expect(try YStateVector(decoding: decoded.encoded()) == decoded, "\(describe(decoded)) did not survive encoded()")
        }

        let maxSafe: UInt64 = (1 << 53) - 1
        let edges = YStateVector([
            0: 1,
            1: 127,
            128: 16_384,
            UInt64(UInt32.max): 1,
            1 << 32: 2,
            (1 << 40) + 7: 300,
            maxSafe - 1: 1,
            maxSafe: maxSafe,
        ])
        #expect(try YStateVector(decoding: edges.encoded()) == edges)
        #expect(YStateVector().encoded() == [0])
        #expect(YStateVector([5: 3]).encoded() == [1, 5, 3])
        #expect(YStateVector([1 << 32: 2]).encoded() == [1, 0x80, 0x80, 0x80, 0x80, 0x10, 2])
        #expect(YStateVector([maxSafe: 1]).encoded() == [1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 1])
    }

    @Test("YStateVector(decoding:) reads lib0 varuints of up to 2^53 - 1, minimal or not; overflowing or cut-off ones throw")
    func stateVectorVaruintEdges() throws {
        let maxSafe: UInt64 = (1 << 53) - 1
        let valid: [([UInt8], [UInt64: UInt64])] = [
            ([0], [:]),
            ([1, 0x7f, 0x01], [127: 1]),
            ([1, 0x80, 0x01, 0xff, 0x7f], [128: 16_383]),
            ([1, 0x85, 0x80, 0x00, 0x03], [5: 3]), // non-minimal, as lib0 reads it
            ([1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01], [UInt64(UInt32.max): 1]),
            ([1, 0x80, 0x80, 0x80, 0x80, 0x10, 0x02], [1 << 32: 2]),
            ([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01], [maxSafe: 1]),
            ([2, 0x01, 0x02, 0x03, 0x04], [1: 2, 3: 4]),
        ]
        for (bytes, clocks) in valid {
            #expect(try YStateVector(decoding: bytes) == YStateVector(clocks), "\(bytes)")
        }

        let malformed: [(String, [UInt8])] = [
            ("empty input", []),
            ("entry count without entries", [1]),
            ("client without clock", [1, 5]),
            ("second entry missing", [2, 5, 1]),
            ("count varuint that never ends", [0x80]),
            ("client varuint that never ends", [1, 0x80]),
            ("clock varuint that never ends", [1, 5, 0xff, 0xff]),
            ("client of 71 bits", [1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 5]),
            ("client beyond 64 bits", [1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 5]),
            ("clock of 71 bits", [1, 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
            ("count of 71 bits", [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
        ]
        for (name, bytes) in malformed {
            #expect(throws: YUpdateError.self, "\(name): \(bytes)") { try YStateVector(decoding: bytes) }
        }
    }

    // MARK: Content, rendered by Yjs

    #if os(Linux)
    @Test("Our merge and YDocumentState.encode() render in Yjs to exactly the content of Yjs' own merge", .timeLimit(.minutes(2)))
    func mergedContentMatchesYjs() async throws {
        try #require(YjsRender.isInstalled, "\(YjsRender.installHint)")
        let vectors = try YjsVectors.load()
        var renderings: [YjsRender.Rendering] = []
        for testCase in vectors.cases {
            let updates = try testCase.updateBytes()
            let ours = try YUpdates.merge(updates)
            let expected = testCase.content
            renderings.append(.init("\(testCase.name): merge(updates)", .render([ours]), expected))
            renderings.append(.init("\(testCase.name): merge(updates.reversed())", .render([try YUpdates.merge(updates.reversed())]), expected))
            renderings.append(.init("\(testCase.name): merge([our merge, Yjs' merge])", .render([try YUpdates.merge([ours, try testCase.mergedBytes()])]), expected))
            renderings.append(.init("\(testCase.name): encode() after applying in order", .render([try documentState(applying: updates).encode()]), expected))
            renderings.append(.init("\(testCase.name): encode() after applying in reverse", .render([try documentState(applying: updates.reversed()).encode()]), expected))
        }
        try await YjsRender.expect(renderings)
    }

    @Test("diff(_:against:) and encode(since:) bring a peer at an earlier state to the content Yjs' diffUpdate gives", .timeLimit(.minutes(2)))
    func diffsMatchYjs() async throws {
        try #require(YjsRender.isInstalled, "\(YjsRender.installHint)")
        let vectors = try YjsVectors.load()
        var renderings: [YjsRender.Rendering] = []
        var diffCount = 0
        for testCase in vectors.cases {
            let updates = try testCase.updateBytes()
            let yjsMerged = try testCase.mergedBytes()
            let ours = try YUpdates.merge(updates)
            let state = try documentState(applying: updates)
            for diff in testCase.diffs {
                let label = "\(testCase.name), \(diff.name)"
                let stateVector = try YStateVector(decoding: try decodeBase64(diff.stateVector))
                let clocks = try YStateVector(fixtureClocks: diff.clocks)
                #expect(stateVector == clocks, "\(label): state vector read as \(describe(stateVector)), Yjs \(describe(clocks))")
                let base = try diff.base.map(decodeBase64)
                let expected = diff.content ?? testCase.content
                renderings.append(.init("\(label): diff(Yjs' merge)", .render([try YUpdates.diff(yjsMerged, against: stateVector)], base: base), expected))
                renderings.append(.init("\(label): diff(our merge)", .render([try YUpdates.diff(ours, against: stateVector)], base: base), expected))
                renderings.append(.init("\(label): encode(since:)", .render([state.encode(since: stateVector)], base: base), expected))
                diffCount += 1
            }
        }
        #expect(diffCount >= 30, "the fixture has \(diffCount) diffs")
        try await YjsRender.expect(renderings)
    }

    @Test("Applying an update a second time returns false and leaves the content and state vector unchanged", .timeLimit(.minutes(2)))
    func reapplyingAnUpdateChangesNothing() async throws {
        try #require(YjsRender.isInstalled, "\(YjsRender.installHint)")
        let vectors = try YjsVectors.load()
        var renderings: [YjsRender.Rendering] = []
        for testCase in vectors.cases {
            let updates = try testCase.updateBytes()
            for (index, update) in updates.prefix(5).enumerated() {
                var state = YDocumentState()
                _ = try state.apply(update)
                let stateVector = state.stateVector
                let again = try state.apply(update)
                #expect(!again, "\(testCase.name): update \(index) brought something new the second time")
                #expect(state.stateVector == stateVector, "\(testCase.name): update \(index) applied twice changed the state vector")
            }

            var state = try documentState(applying: updates)
            let stateVector = state.stateVector
            for (index, update) in updates.enumerated() {
                let again = try state.apply(update)
                #expect(!again, "\(testCase.name): update \(index) brought something new after every update was applied")
            }
            let merged = try testCase.mergedBytes()
            let againMerged = try state.apply(merged)
            #expect(!againMerged, "\(testCase.name): Yjs' merge brought something new after every update was applied")
            #expect(state.stateVector == stateVector, "\(testCase.name): applying the updates again changed the state vector")
            renderings.append(.init("\(testCase.name): encode() after applying every update twice", .render([state.encode()]), testCase.content))
        }
        try await YjsRender.expect(renderings)
    }

    @Test("Yjs decodes the state vectors we encode to the same clocks", .timeLimit(.minutes(2)))
    func encodedStateVectorsDecodeInYjs() async throws {
        try #require(YjsRender.isInstalled, "\(YjsRender.installHint)")
        let vectors = try YjsVectors.load()
        var stateVectors = try vectors.stateVectors.map { try YStateVector(fixtureClocks: $0.clocks) }
        stateVectors.append(YStateVector([0: 1, 1 << 32: 2, (1 << 40) + 7: 300, (1 << 53) - 1: (1 << 53) - 1]))
        for testCase in vectors.cases {
            stateVectors.append(try YUpdates.stateVector(of: YUpdates.merge(try testCase.updateBytes())))
        }
        let renderings = stateVectors.map { stateVector in
            let clocks = Dictionary(uniqueKeysWithValues: stateVector.clocks.map { (String($0.key), JSONValue.number(Double($0.value))) })
            return YjsRender.Rendering(describe(stateVector), .decode(stateVector: stateVector.encoded()), .object(["stateVector": .object(clocks)]))
        }
        try await YjsRender.expect(renderings)
    }
    #endif

    // MARK: Helpers

    private func documentState(applying updates: some Sequence<[UInt8]>) throws -> YDocumentState {
        var state = YDocumentState()
        for update in updates { _ = try state.apply(update) }
        return state
    }

    /// Runs `body`, recording an error it throws as an issue of `name`, so one failing case does not hide the others.
    private func recordingErrors(of name: String, _ body: () throws -> Void) {
        do {
            try body()
        } catch {
            Issue.record("\(name): \(error)")
        }
    }
}

/// A state vector as "client: clock, …" in client order.
private func describe(_ stateVector: YStateVector) -> String {
    "[" + stateVector.clocks.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
}

private func decodeBase64(_ text: String) throws -> [UInt8] {
    guard let data = Data(base64Encoded: text) else { throw YjsFixtureError(reason: "not base64: \(text.prefix(40))") }
    return Array(data)
}

private func encodeBase64(_ bytes: [UInt8]) -> String {
    Data(bytes).base64EncodedString()
}

/// The fixture is not what the tests expect.
struct YjsFixtureError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// The golden vectors of `Fixtures/yjs-vectors.json`, made by the real Yjs with
/// `Tests/Node/yjs-vectors.js` (which describes every field).
struct YjsVectors: Decodable, Sendable {
    let yjsVersion: String
    let cases: [Case]
    let malformed: [Malformed]
    let stateVectors: [EncodedStateVector]

    struct Case: Decodable, Sendable {
        let name: String
        /// Base64 updates, in the order to apply them.
        let updates: [String]
        /// `Y.encodeStateVectorFromUpdate` of each update.
        let updateStateVectors: [[String: UInt64]]
        /// `Y.mergeUpdates(updates)`.
        let merged: String
        /// `Y.encodeStateVectorFromUpdate(merged)`.
        let stateVector: [String: UInt64]
        /// The rendering (`yjs-render-lib.js`) of a fresh Y.Doc after applying every update.
        let content: JSONValue
        let diffs: [Diff]

        func updateBytes() throws -> [[UInt8]] { try updates.map(decodeBase64) }
        func mergedBytes() throws -> [UInt8] { try decodeBase64(merged) }
        func expectedStateVector() throws -> YStateVector { try YStateVector(fixtureClocks: stateVector) }
    }

    struct Diff: Decodable, Sendable {
        let name: String
        /// An encoded state vector (base64).
        let stateVector: String
        /// The same state vector, decoded by Yjs.
        let clocks: [String: UInt64]
        /// The state (a base64 update) of the peer at `stateVector`, if any.
        let base: String?
        /// The rendering after applying `base` and `Y.diffUpdate(merged, stateVector)`; absent
        /// when it is the case's content.
        let content: JSONValue?
    }

    struct Malformed: Decodable, Sendable {
        let name: String
        let bytes: String

        func decodedBytes() throws -> [UInt8] { try decodeBase64(bytes) }
    }

    struct EncodedStateVector: Decodable, Sendable {
        /// `Y.encodeStateVector` of a map (base64).
        let bytes: String
        let clocks: [String: UInt64]
    }

    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("yjs-vectors.json")

    static func load() throws -> YjsVectors {
        try JSONDecoder().decode(YjsVectors.self, from: Data(contentsOf: file))
    }
}

extension YStateVector {
    /// A state vector from the fixture's "client id": clock objects.
    init(fixtureClocks clocks: [String: UInt64]) throws {
        var decoded: [UInt64: UInt64] = [:]
        for (client, clock) in clocks {
            guard let id = UInt64(client) else { throw YjsFixtureError(reason: "client id \(client) is not a UInt64") }
            decoded[id] = clock
        }
        self.init(decoded)
    }
}

#if os(Linux)
/// Runs `Tests/Node/yjs-render.js` on Node.js with Debian's Yjs: renders the documents that
/// updates build, and decodes state vectors, as the real Yjs sees them.
enum YjsRender {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Node").appendingPathComponent("yjs-render.js").path

    /// Where Debian's node-yjs and node-lib0 live.
    static let modules = "/usr/share/nodejs"

    static let installHint =
        "Node.js and Yjs are missing: apt-get install --no-install-recommends node-yjs node-lib0 (Debian installs them under /usr/share/nodejs)"

    static var isInstalled: Bool {
        let files = FileManager.default
        guard files.fileExists(atPath: modules + "/yjs/package.json"), files.fileExists(atPath: modules + "/lib0/package.json") else {
            return false
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").contains { files.isExecutableFile(atPath: "\($0)/node") }
    }

    /// One job of `yjs-render.js`.
    struct Job: Encodable, Sendable {
        var updates: [String]?
        var base: String?
        var stateVector: String?

        /// Apply `base` (if any) and `updates` to a fresh Y.Doc and render it.
        static func render(_ updates: [[UInt8]], base: [UInt8]? = nil) -> Job {
            Job(updates: updates.map(encodeBase64), base: base.map(encodeBase64))
        }

        /// Decode a state vector with `Y.decodeStateVector`.
        static func decode(stateVector: [UInt8]) -> Job {
            Job(stateVector: encodeBase64(stateVector))
        }
    }

    /// A job and what Yjs should answer.
    struct Rendering: Sendable {
        let label: String
        let job: Job
        let expected: JSONValue

        init(_ label: String, _ job: Job, _ expected: JSONValue) {
            self.label = label
            self.job = job
            self.expected = expected
        }
    }

    private struct Input: Encodable {
        let jobs: [Job]
    }

    /// Runs every job in one Node.js process and checks each answer.
    static func expect(_ renderings: [Rendering], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let results = try await run(renderings.map(\.job))
        for (rendering, result) in zip(renderings, results) {
            if let error = result["error"]?.stringValue {
                Issue.record("\(rendering.label): Yjs could not read it: \(error)", sourceLocation: sourceLocation)
                continue
            }
            #expect(
                result == rendering.expected,
                "\(rendering.label):\n  Yjs renders \(result.jsonText)\n  expected    \(rendering.expected.jsonText)",
                sourceLocation: sourceLocation
            )
        }
    }

    /// Runs `jobs` in one Node.js process; returns one answer per job.
    static func run(_ jobs: [Job], timeout: Duration = .seconds(60)) async throws -> [JSONValue] {
        let directory = FileManager.default.temporaryDirectory
        let name = "yjs-render-\(UUID().uuidString)"
        let input = directory.appendingPathComponent("\(name)-in.json")
        let output = directory.appendingPathComponent("\(name)-out.json")
        defer {
            try? FileManager.default.removeItem(at: input)
            try? FileManager.default.removeItem(at: output)
        }
        try JSONEncoder().encode(Input(jobs: jobs)).write(to: input)

        let process = try ChildProcess.spawn(
            "/usr/bin/env",
            arguments: ["node", script, input.path, output.path],
            environment: ["NODE_PATH": modules]
        )
        do {
            try await waitUntil(timeout: timeout, "yjs-render.js finished \(jobs.count) jobs") { process.hasFinished }
        } catch {
            process.signalGroup(SIGKILL)
            process.reap()
            throw YjsRenderFailed(status: nil, output: process.outputTail())
        }
        let status = process.reapExitCode()
        guard status == 0 else { throw YjsRenderFailed(status: status, output: process.outputTail()) }
        let answer = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: output))
        guard let results = answer["results"]?.arrayValue, results.count == jobs.count else {
            throw YjsRenderFailed(status: status, output: "expected \(jobs.count) results, got: \(answer.jsonText.prefix(500))")
        }
        return results
    }
}

/// `yjs-render.js` failed or did not finish.
struct YjsRenderFailed: Error, CustomStringConvertible {
    let status: Int32?
    let output: String
    var description: String { "yjs-render.js \(status.map { "exited with \($0)" } ?? "did not finish"):\n\(output)" }
}
#endif
