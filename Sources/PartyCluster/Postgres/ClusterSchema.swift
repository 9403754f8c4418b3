import PartyRuntime
import PostgresNIO

/// The PostgreSQL schema, as numbered migrations applied in order, each once.
///
/// `party_schema` records the applied versions. Nodes starting together serialise on a
/// transaction-scoped advisory lock, so each migration runs once; a node whose build knows fewer
/// versions than the database holds refuses to start (``ClusterError/schemaTooNew(found:known:)``).
/// Names are TEXT (room names cannot hold NUL), keys and values BYTEA, so key order is byte order
/// as in SQLite.
enum ClusterSchema {
    /// The migrations, in order: version `index + 1`.
    static let migrations: [(description: String, sql: [String])] = [
        ("rooms: kv, snapshots, alarms, workers, control records", [
            """
            CREATE TABLE party_kv (
                server TEXT NOT NULL, room TEXT NOT NULL, key BYTEA NOT NULL,
                value BYTEA NOT NULL, encoding SMALLINT NOT NULL,
                PRIMARY KEY (server, room, key))
            """,
            "CREATE TABLE party_snapshots (server TEXT NOT NULL, room TEXT NOT NULL, data BYTEA NOT NULL, PRIMARY KEY (server, room))",
            """
            CREATE TABLE party_alarms (
                server TEXT NOT NULL, room TEXT NOT NULL, at_ms BIGINT NOT NULL, retry_count INTEGER NOT NULL,
                PRIMARY KEY (server, room))
            """,
            """
            CREATE TABLE party_workers (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash BYTEA NOT NULL,
                created_ms BIGINT NOT NULL, revoked_ms BIGINT)
            """,
            "CREATE TABLE party_control_rooms (server TEXT NOT NULL, room TEXT NOT NULL, record BYTEA NOT NULL, PRIMARY KEY (server, room))",
        ]),
        ("cluster: nodes and room leases", [
            """
            CREATE TABLE party_nodes (
                id TEXT PRIMARY KEY, address TEXT NOT NULL, started_at TIMESTAMPTZ NOT NULL,
                heartbeat_at TIMESTAMPTZ NOT NULL, draining BOOLEAN NOT NULL DEFAULT false,
                rooms INTEGER NOT NULL DEFAULT 0)
            """,
            """
            CREATE TABLE party_room_leases (
                server TEXT NOT NULL, room TEXT NOT NULL, node_id TEXT NOT NULL, token BIGINT NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (server, room))
            """,
            "CREATE INDEX party_room_leases_node ON party_room_leases (node_id)",
        ]),
        ("cluster: the secret nodes share for room calls", [
            "CREATE TABLE party_cluster_secret (id SMALLINT PRIMARY KEY CHECK (id = 1), secret TEXT NOT NULL)",
        ]),
        ("control: activations and the keys live rooms hold, unique per server type", [
            "ALTER TABLE party_control_rooms ADD COLUMN activation BIGINT NOT NULL DEFAULT 0, ADD COLUMN held_key TEXT",
            "CREATE UNIQUE INDEX party_control_rooms_key ON party_control_rooms (server, held_key) WHERE held_key IS NOT NULL",
        ]),
    ]

    /// Applies the migrations the database lacks, each in its own transaction.
    static func migrate(_ database: ClusterDatabase) async throws(ClusterError) {
        do {
            try await database.client.withConnection { connection in
                try await connection.withTransaction(logger: database.logger) { connection in
                    // One node migrates at a time; the others wait here, then find nothing to do.
                    _ = try await connection.query("SELECT pg_advisory_xact_lock(7493001)", logger: database.logger)
                    _ = try await connection.query("""
                        CREATE TABLE IF NOT EXISTS party_schema (
                            version INTEGER PRIMARY KEY, description TEXT NOT NULL,
                            applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                        """, logger: database.logger)
                    var applied = 0
                    for try await version in try await connection.query("SELECT COALESCE(MAX(version), 0) FROM party_schema", logger: database.logger).decode(Int.self) {
                        applied = version
                    }
                    guard applied <= migrations.count else { throw ClusterError.schemaTooNew(found: applied, known: migrations.count) }
                    for (index, migration) in migrations.enumerated() where index + 1 > applied {
                        for statement in migration.sql {
                            _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: database.logger)
                        }
                        let version = index + 1
                        _ = try await connection.query(
                            "INSERT INTO party_schema (version, description) VALUES (\(version), \(migration.description))",
                            logger: database.logger
                        )
                        database.logger.info("database schema migrated", metadata: ["version": "\(version)", "migration": "\(migration.description)"])
                    }
                }
            }
        } catch let error as ClusterError {
            throw error
        } catch {
            throw .migrationFailed(String(reflecting: error))
        }
    }
}
