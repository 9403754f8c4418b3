import Foundation

/// The signature of `LLVMFuzzerTestOneInput`: one input, `0` when it was handled.
public typealias FuzzTestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

#if FUZZING
/// libFuzzer's driver for programs with their own `main` (SwiftPM gives every executable one).
@_silgen_name("LLVMFuzzerRunDriver")
private func runLibFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: FuzzTestOneInput
) -> CInt
#endif

/// Runs a fuzz target. Built by `Fuzz/run` (`-sanitize=fuzzer,address -DFUZZING`) it hands the
/// target to libFuzzer, which takes libFuzzer's options and corpus directories; in a normal build
/// it replays the files (or directories of files) named on the command line, once each.
public enum FuzzDriver {
    /// Runs `testOneInput` under libFuzzer, or over the inputs named on the command line.
    public static func main(_ testOneInput: FuzzTestOneInput) -> Never {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runLibFuzzerDriver(&argc, &argv, testOneInput))
        #else
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            print("usage: \(CommandLine.arguments[0]) FILE_OR_DIRECTORY… (replays inputs; build with Fuzz/run to fuzz)")
            exit(64)
        }
        var count = 0
        for path in paths {
            for file in inputFiles(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("cannot read \(file)")
                    exit(66)
                }
                _ = data.withUnsafeBytes { raw in
                    testOneInput(raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
                }
                count += 1
            }
        }
        print("replayed \(count) inputs without a failure")
        exit(0)
        #endif
    }

    /// The input as an array.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Stops the process when an invariant does not hold; libFuzzer then saves the input.
    public static func require(_ condition: Bool, _ message: @autoclosure () -> String, line: UInt = #line) {
        guard !condition else { return }
        fatalError("invariant failed: \(message())", line: line)
    }

    /// `path` itself, or the regular files in the directory `path`, sorted.
    private static func inputFiles(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }.filter { file in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }
}
