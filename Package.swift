// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "partyserver",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PartyServer", targets: ["PartyServer"]),
        .library(name: "PartyRooms", targets: ["PartyRooms"]),
        .library(name: "PartyLogux", targets: ["PartyLogux"]),
        .library(name: "PartyYjs", targets: ["PartyYjs"]),
        .library(name: "PartyTinyBase", targets: ["PartyTinyBase"]),
        .library(name: "PartyServerTesting", targets: ["PartyServerTesting"]),
        .library(name: "PartyClient", targets: ["PartyClient"]),
        .executable(name: "partyserver", targets: ["partyserver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "PartyTime",
            swiftSettings: swiftSettings
        ),
        // The room runtime: rooms, connections, the server protocol, messages, storage, alarms,
        // time, name routing and frame rules. No HTTP server, no WebSocket codec, no TLS, no JWT.
        .target(
            name: "PartyRuntime",
            dependencies: [
                "PartyTime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // Several nodes on one PostgreSQL: the PostgreSQL storage backend, schema migrations,
        // node membership and room leases with fencing tokens.
        .target(
            name: "PartyCluster",
            dependencies: [
                "PartyRuntime",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The edge: HTTP and WebSocket over Hummingbird, keep-alive, TLS, authentication, the
        // session control API, metrics export and the application; re-exports the runtime.
        .target(
            name: "PartyServer",
            dependencies: [
                "PartyRuntime",
                "PartyCluster",
                "PartyClient",
                "PartyTime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            resources: [.copy("Resources/public")],
            swiftSettings: swiftSettings
        ),
        // The Logux protocol (version 5) for `@logux/client`: a server type with a durable action
        // log, channels and resending.
        .target(
            name: "PartyLogux",
            dependencies: [
                "PartyRuntime",
                "PartyServer",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        // Yjs documents for y-websocket and y-partyserver clients: update format v1 merged and
        // diffed in Swift, a durable document per room, awareness.
        .target(
            name: "PartyYjs",
            dependencies: [
                "PartyRuntime",
                "PartyServer",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // TinyBase sync for WsSynchronizer clients: TinyBase's hashes, HLC stamps and mergeable
        // store rules in Swift, the synchronizer protocol and the server's own store as a peer.
        .target(
            name: "PartyTinyBase",
            dependencies: [
                "PartyRuntime",
                "PartyServer",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PartyRooms",
            dependencies: ["PartyServer", "PartyLogux", "PartyYjs", "PartyTinyBase"],
            path: "Rooms",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PartyServerTesting",
            dependencies: [
                "PartyRuntime",
                "PartyServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PartyClient",
            dependencies: [
                "PartyTime",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "partyserver",
            dependencies: [
                "PartyServer",
                "PartyRooms",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "job-worker",
            dependencies: [
                "PartyClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/JobWorker",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "cursors-example",
            dependencies: ["PartyServer"],
            path: "Examples/Cursors",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "yjs-notes-example",
            dependencies: ["PartyServer", "PartyYjs"],
            path: "Examples/YjsNotes",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tinybase-todos-example",
            dependencies: ["PartyServer", "PartyTinyBase"],
            path: "Examples/TinyBaseTodos",
            swiftSettings: swiftSettings
        ),
        // libFuzzer targets: Fuzz/run builds them with -sanitize=fuzzer,address -DFUZZING and
        // runs each for a bounded time; a normal build makes them replay the inputs they are given.
        .target(
            name: "PartyFuzzing",
            path: "Fuzz/Support",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fuzz-route",
            dependencies: ["PartyFuzzing", "PartyServer", "PartyClient"],
            path: "Fuzz/Route",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fuzz-frames",
            dependencies: [
                "PartyFuzzing",
                "PartyServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Fuzz/Frames",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fuzz-utf8",
            dependencies: ["PartyFuzzing", "PartyServer"],
            path: "Fuzz/UTF8",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fuzz-yjs",
            dependencies: ["PartyFuzzing", "PartyYjs"],
            path: "Fuzz/Yjs",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fuzz-handshake",
            dependencies: ["PartyFuzzing", "PartyServer", .product(name: "NIOCore", package: "swift-nio")],
            path: "Fuzz/Handshake",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "fuzz-credentials",
            dependencies: ["PartyFuzzing", "PartyServer"],
            path: "Fuzz/Credentials",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PartyServerTests",
            dependencies: [
                "PartyRuntime",
                "PartyCluster",
                "PartyServer",
                "PartyRooms",
                "PartyLogux",
                "PartyYjs",
                "PartyTinyBase",
                "PartyServerTesting",
                "PartyClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            // Golden vectors read from their path by the tests.
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
