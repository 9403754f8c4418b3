import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import UnixSignals
import Synchronization

/// A PartyServer application: registered server types served over HTTP and WebSocket at
/// `/{prefix}/{server}/{name}`.
///
/// ```swift
/// let app = PartyApplication(configuration: .init(port: 1999))
/// try app.register(Chat.self)          // route name "chat"
/// try await app.runService()           // stops gracefully on SIGTERM / SIGINT
/// ```
public final class PartyApplication: Service, Sendable {
    /// The configuration the application runs with.
    public let configuration: PartyConfiguration
    /// The application's logger.
    public let logger: Logger
    /// The session control API in Swift: create rooms by key, watch and terminate them (while the application runs).
    public let rooms = RoomControl()

    private let registrations: Mutex<[ServerRegistration]>
    private let started: Mutex<Bool>
    private let onServerRunning: (@Sendable (Int) async -> Void)?
    private let runningEdge = Mutex<EdgeServices?>(nil)
    private let fallbackHandler = Mutex<Fallback?>(nil)

    /// A handler for the application's own HTTP routes: see `fallback(_:)`.
    public typealias Fallback = @Sendable (PartyRuntime.Request) async throws -> PartyRuntime.Response

    /// Creates an application; `onServerRunning` receives the bound port once the server listens.
    public init(
        configuration: PartyConfiguration = PartyConfiguration(),
        logger: Logger = Logger(label: "partyserver"),
        onServerRunning: (@Sendable (Int) async -> Void)? = nil
    ) {
        self.configuration = configuration
        self.logger = logger
        self.registrations = Mutex([])
        self.started = Mutex(false)
        self.onServerRunning = onServerRunning
    }

    /// Registers a server type under `routeName`, or the kebab-case of its type name; `options`
    /// replace the type's `static var options` (e.g. a hibernation delay from the command line).
    @discardableResult
    public func register<S: PartyRuntime.Server>(_ type: S.Type, as routeName: String? = nil, options: ServerOptions? = nil) throws(PartyError) -> String {
        let name = (routeName ?? RouteName.kebabCase(String(describing: type))).lowercased()
        guard RouteName.isValid(name) else { throw .invalidRouteName(name) }
        let alreadyStarted = started.withLock { $0 }
        guard !alreadyStarted else { throw .alreadyRunning }
        return try registrations.withLock { (registrations) throws(PartyError) -> String in
            guard !registrations.contains(where: { $0.routeName == name }) else { throw .duplicateRouteName(name) }
            registrations.append(ServerRegistration(type, routeName: name, options: options))
            return name
        }
    }

    /// Answers every HTTP request that no room route (`/{prefix}/{server}/{name}`), control API
    /// route or metrics path matches, instead of 404: the application's own routes beside the
    /// rooms (a health check, a landing page, a login flow). `request.path` is the whole path,
    /// `request.remoteAddress` the client's. Throwing a `Rejection` answers with it; any other
    /// error answers 500. WebSocket upgrades outside the rooms still get 404. Set it before `run()`.
    ///
    /// ```swift
    /// try app.fallback { request in
    ///     request.path == "/health" ? .text("ok") : .error(.notFound, "no such page")
    /// }
    /// ```
    public func fallback(_ handler: @escaping Fallback) throws(PartyError) {
        guard !started.withLock({ $0 }) else { throw .alreadyRunning }
        fallbackHandler.withLock { $0 = handler }
    }

    /// The route names registered so far.
    public var routeNames: [String] {
        registrations.withLock { $0.map(\.routeName) }
    }

    /// Runs the server until graceful shutdown (as a `Service` inside a `ServiceGroup`).
    public func run() async throws {
        started.withLock { $0 = true }
        try Self.validate(prefix: configuration.prefix)
        try Self.validateControl(configuration)
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let registrations = self.registrations.withLock { $0 }
        let routeNames = registrations.map(\.routeName)
        let metricsExport = PrometheusCollectorRegistry()
        let metrics = PartyMetrics(routeNames: routeNames, factory: PrometheusExport.factory(metricsExport))
        let (engine, cluster) = try await openStorage(metrics: metrics)
        // Every node of a cluster verifies the tokens the others issue.
        let tokenKeys: TokenSigningKeys
        if let cluster {
            tokenKeys = try TokenSigningKeys.shared(configuration.control, secret: cluster.secret.value)
        } else {
            tokenKeys = try TokenSigningKeys.load(configuration.control, dataDirectory: configuration.dataDirectory)
        }
        let limits = configuration.limits.fitted(toOpenFileLimit: ServerLimits.openFileLimit)
        if limits.maxConnections < configuration.limits.maxConnections {
            logger.info(
                "maxConnections lowered to stay under the open-file limit; raise it with ulimit -n",
                metadata: ["maxConnections": "\(limits.maxConnections)", "openFiles": "\(ServerLimits.openFileLimit ?? 0)"]
            )
        }
        let directory = RoomDirectory(configuration: configuration.control, clock: configuration.clock, engine: engine, tokenKeys: tokenKeys, logger: logger)
        var authenticator: JWTAuthenticator?
        if let jwt = configuration.jwt {
            guard !jwt.keys.isEmpty else { throw PartyError.noTokenKeys }
            authenticator = await JWTAuthenticator(configuration: jwt, clock: configuration.clock)
        }
        let services = RoomServices(
            engine: engine, clock: configuration.clock, metrics: metrics, alarms: configuration.alarms, logger: logger,
            limits: limits, activations: directory,
            sharedEncodingMinimumSize: configuration.compression?.minimumSize ?? .max,
            ownership: cluster?.ownership ?? LocalOwnership(),
            environment: configuration.env.merging(configuration.secrets.values) { _, secret in secret },
            tokenVerifier: authenticator
        )
        let registry = RoomRegistry(registrations: registrations, services: services, logger: logger)
        // Calls to rooms other nodes own go there; the registry installed the local router.
        let clusterCalls = cluster.map { ClusterRoomCallRouter(registry: registry, cluster: $0) }
        if let clusterCalls { services.calls.install(clusterCalls) }
        let edge = EdgeServices(
            registry: registry, directory: directory, workers: WorkerAccounts(engine: engine),
            liveness: LivenessSweeper(keepAlive: configuration.keepAlive, idleTimeout: limits.idleTimeout, clock: configuration.connectionClock, logger: logger),
            metricsExport: metricsExport, cluster: cluster, clusterCalls: clusterCalls
        )
        runningEdge.withLock { $0 = edge }
        defer { runningEdge.withLock { $0 = nil } }
        let rooms = self.rooms
        rooms.attach(edge)
        defer { rooms.attach(nil) }
        let alarmCount = try await services.alarms.load(servers: Set(routeNames))
        if alarmCount > 0 {
            logger.info("scheduled stored alarms", metadata: ["count": "\(alarmCount)"])
        }
        if cluster == nil {
            // On a node of a cluster, each room's record is adopted when the node takes its lease.
            try await rooms.restore(in: edge)
        }
        let tls = try configuration.tls?.makeConfiguration()
        let front = PartyFront(
            edge: edge, configuration: configuration, demoPage: Self.loadDemoPage(), logger: logger, authenticator: authenticator,
            compression: configuration.compression.map { WebSocketCompression(settings: $0, metrics: metrics) },
            trustedProxies: try TrustedProxies(configuration.trustedProxies), fallback: fallbackHandler.withLock { $0 }
        )
        let control = ControlAPI(rooms: rooms, configuration: configuration, inspectorPage: Self.loadPage("inspector"), front: front, logger: logger)
        let configuration = self.configuration
        let scheme = tls == nil ? "http" : "https"
        let logger = self.logger
        let onServerRunning = self.onServerRunning
        let application = Application(
            responder: PartyHTTPResponder(front: front, control: control),
            server: HTTPServerBuilder { responder in
                let channel = PartyChannel(responder: responder, front: front, secure: tls != nil)
                guard let tls else { return channel }
                return try TLSChannel(channel, tlsConfiguration: tls)
            },
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: configuration.serverName
            ),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                if let cluster { await Self.join(cluster, port: port, logger: logger) }
                logger.notice(
                    "PartyServer listening on \(scheme)://\(configuration.host):\(port)",
                    metadata: ["servers": .string(registry.registrations.keys.sorted().joined(separator: ","))]
                )
                await onServerRunning?(port)
            },
            logger: logger
        )
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await services.alarms.scheduler.run { key in await registry.fireAlarm(key) } }
            group.addTask { await services.idleTimers.run { key in await registry.idleTimerFired(key) } }
            group.addTask { await services.dropTimers.run { timer in await registry.dropWindowEnded(timer) } }
            group.addTask { await edge.liveness.run() }
            group.addTask { await directory.timers.run { timer in await rooms.timerFired(timer) } }
            if let cluster {
                group.addTask {
                    await cluster.run(registry: registry, servers: Set(routeNames), directory: directory) { key in
                        await rooms.adopt(key, in: edge, from: cluster)
                    }
                }
            }
            defer {
                cluster?.stop()
                services.alarms.scheduler.stop()
                services.idleTimers.stop()
                services.dropTimers.stop()
                edge.liveness.stop()
                directory.timers.stop()
            }
            try await application.run()
            // WebSocket sessions are not tasks of the HTTP server, which has stopped: close them
            // now and wait for their rooms. A node leaving a cluster: its rooms move, so clients
            // reconnect (1012).
            if cluster == nil {
                await edge.sessions.closeAll(code: CloseCode.goingAway, reason: "server shutting down")
            } else {
                await edge.sessions.closeAll(code: CloseCode.serviceRestart, reason: "server shutting down; reconnect")
            }
        }
        await cluster?.leave()
        let hibernated = await registry.hibernateAll()
        // Spawned rooms outlive the process: their records keep their last activity.
        var lastActivity: [RoomKey: Date] = [:]
        for key in directory.spawnedRooms() {
            lastActivity[key] = registry.existingSlot(key)?.lastActivity
        }
        directory.shutDown(lastActivity: lastActivity)
        await directory.journal.close()
        await engine.close()
        await cluster?.close()
        logger.notice("PartyServer stopped", metadata: ["hibernated": "\(hibernated)"])
    }

    /// The room registry while the application runs (for tests and the inspector).
    package var registry: RoomRegistry? { runningEdge.withLock { $0?.registry } }

    /// The server's services while the application runs (for tests).
    package var edge: EdgeServices? { runningEdge.withLock { $0 } }

    /// The lifecycle state of a room while the application runs (`absent` when it does not run).
    public func roomState(server: String, name: String) -> RoomState {
        guard let registry = runningEdge.withLock({ $0?.registry }) else { return .absent }
        return registry.existingSlot(RoomKey(server: server.lowercased(), name: name))?.lifecycleState ?? .absent
    }

    /// Runs the application in its own `ServiceGroup`, stopping gracefully on SIGTERM and SIGINT.
    public func runService() async throws {
        let group = ServiceGroup(
            configuration: .init(services: [self], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }

    /// Checks that the prefix is one or more path segments without surrounding slashes.
    static func validate(prefix: String) throws(PartyError) {
        let segments = prefix.split(separator: "/", omittingEmptySubsequences: false)
        let valid = segments.allSatisfy { segment in
            !segment.isEmpty && segment != "." && segment != ".."
                && segment.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.~".unicodeScalars.contains($0)) }
        }
        guard valid else { throw .invalidPrefix(prefix) }
    }

    private static func loadDemoPage() -> ByteBuffer? {
        loadPage("index")
    }

    /// A page from the bundled `public` folder.
    private static func loadPage(_ name: String) -> ByteBuffer? {
        guard let url = Bundle.module.url(forResource: name, withExtension: "html", subdirectory: "public"),
            let data = try? Data(contentsOf: url)
        else { return nil }
        return ByteBuffer(bytes: data)
    }
}

extension PartyApplication {
    /// Checks the control configuration's durations and, when the HTTP API is on, its prefix:
    /// valid, and apart from the rooms'.
    static func validateControl(_ configuration: PartyConfiguration) throws {
        let settings = configuration.control
        let positive = [
            ("startupTimeout", settings.startupTimeout), ("tokenLifetime", settings.tokenLifetime),
            ("defaultMaxIdle", settings.defaultMaxIdle), ("streamHeartbeat", settings.streamHeartbeat),
        ]
        for (name, value) in positive where value <= .zero {
            throw ControlError.invalidArgument("control.\(name) must be greater than zero, got \(value)")
        }
        for (name, value) in [("terminationGrace", settings.terminationGrace), ("readyTimeout", settings.readyTimeout)] where value < .zero {
            throw ControlError.invalidArgument("control.\(name) must not be negative, got \(value)")
        }
        guard settings.retainedTerminatedRooms >= 0 else {
            throw ControlError.invalidArgument("control.retainedTerminatedRooms must not be negative, got \(settings.retainedTerminatedRooms)")
        }
        guard settings.isHTTPEnabled else { return }
        let control = settings.prefix
        try validate(prefix: control)
        let rooms = configuration.prefix
        guard control != rooms, !control.hasPrefix(rooms + "/"), !rooms.hasPrefix(control + "/") else {
            throw ControlError.invalidArgument(
                "the control API prefix \(control.debugDescription) overlaps the rooms' prefix \(rooms.debugDescription); choose another control.prefix"
            )
        }
    }
}
