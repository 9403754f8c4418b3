import Foundation
import Testing

@Suite("Fuzz corpus")
struct FuzzCorpusTests {
    /// The fuzz targets, each with its seeds in `Fuzz/Corpus/<target>/` (fuzzing itself is `Fuzz/run`).
    static let targets = ["fuzz-route", "fuzz-frames", "fuzz-utf8", "fuzz-credentials", "fuzz-yjs", "fuzz-handshake"]

    @Test("every seed in Fuzz/Corpus replays through its fuzz target without breaking an invariant", arguments: targets)
    func replaysCorpus(target: String) async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let corpus = root.appendingPathComponent("Fuzz/Corpus/\(target)").path
        let seeds = try FileManager.default.contentsOfDirectory(atPath: corpus)
        #expect(seeds.count >= 4, "\(target) has \(seeds.count) seeds")
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(target).path
        let process = try ChildProcess.spawn(binary, arguments: [corpus])
        try await waitUntil(timeout: .seconds(60), "\(target) replayed its corpus; output:\n\(process.outputTail())") { process.hasFinished }
        #expect(process.reapExitCode() == 0, "\(process.outputTail())")
        #expect(process.outputText.contains("replayed \(seeds.count) inputs without a failure"), "\(process.outputTail())")
    }
}
