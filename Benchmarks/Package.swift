// swift-tools-version:6.1
import PackageDescription

// The benchmark suite: a separate package so the main package never builds it.
// Add targets and dependencies to the lists below.

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "partyserver-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "loadgen", targets: ["loadgen"]),
        .executable(name: "hummingbird-baseline", targets: ["hummingbird-baseline"]),
        .executable(name: "durable-bench-server", targets: ["durable-bench-server"]),
        .executable(name: "yjs-doc-bench", targets: ["yjs-doc-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(name: "partyserver", path: ".."),
    ],
    targets: [
        // WebSocket load generator: `loadgen fanout`, `connect`, `counter`, `wake`, `memory`, `logux`,
        // `yjs`, `yjs-doc`.
        .executableTarget(
            name: "loadgen",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            path: "loadgen",
            swiftSettings: swiftSettings
        ),
        // The thinnest Hummingbird 2 broadcast server, the reference for PartyServer's chat room.
        .executableTarget(
            name: "hummingbird-baseline",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            path: "baselines/hummingbird",
            swiftSettings: swiftSettings
        ),
        // PartyServer with a hibernating room of configurable state (the durable-rooms benchmarks'
        // server), a Logux room that keeps a long log (the Logux benchmarks' resend scenario) and
        // Yjs rooms with and without compaction and with seeded documents (the Yjs benchmarks).
        .executableTarget(
            name: "durable-bench-server",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PartyServer", package: "partyserver"),
                .product(name: "PartyLogux", package: "partyserver"),
                .product(name: "PartyYjs", package: "partyserver"),
                "HeapInfo",
            ],
            path: "durable-server",
            swiftSettings: swiftSettings
        ),
        // PartyYjs' document state in one process: heap per loaded document, apply/encode times.
        .executableTarget(
            name: "yjs-doc-bench",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PartyYjs", package: "partyserver"),
                "HeapInfo",
            ],
            path: "yjs-doc",
            swiftSettings: swiftSettings
        ),
        // glibc's heap figures (mallinfo2, malloc_trim) for durable-bench-server's memory probe.
        .target(name: "HeapInfo", path: "heap-info"),
        // Micro-benchmarks of the room runtime: `swift package benchmark` in this folder.
        .executableTarget(
            name: "RoomBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PartyServer", package: "partyserver"),
                .product(name: "PartyServerTesting", package: "partyserver"),
                .product(name: "PartyRooms", package: "partyserver"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/RoomBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
