import GRDB

/// The tables of the storage database (room storage, snapshots, alarms, worker accounts and the
/// control API's room records) and the SQL that reads and writes them.
///
/// Server and room names are bound as blobs of their UTF-8 bytes and cast to TEXT in SQL
/// (`CAST(? AS TEXT)`): GRDB binds a `String` as a NUL-terminated C string, which would cut a
/// name at its first `\0` and let two rooms share rows. Names are only ever SQL parameters.
/// Keys are BLOBs of their UTF-8 bytes, so their order is byte order (= code point order) and a
/// prefix is a byte range served by the primary key.
enum StorageSchema {
    /// Creates or upgrades the tables.
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: kv, snapshots, alarms") { db in
            try db.execute(sql: """
                CREATE TABLE kv (
                    server TEXT NOT NULL,
                    room TEXT NOT NULL,
                    key BLOB NOT NULL,
                    value BLOB NOT NULL,
                    encoding INTEGER NOT NULL,
                    PRIMARY KEY (server, room, key)
                ) WITHOUT ROWID;
                CREATE TABLE snapshots (
                    server TEXT NOT NULL,
                    room TEXT NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY (server, room)
                ) WITHOUT ROWID;
                CREATE TABLE alarms (
                    server TEXT NOT NULL,
                    room TEXT NOT NULL,
                    at_ms INTEGER NOT NULL,
                    retry_count INTEGER NOT NULL,
                    PRIMARY KEY (server, room)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v2: workers") { db in
            try db.execute(sql: """
                CREATE TABLE workers (
                    id TEXT NOT NULL PRIMARY KEY,
                    name TEXT NOT NULL,
                    secret_hash BLOB NOT NULL,
                    created_ms INTEGER NOT NULL,
                    revoked_ms INTEGER
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3: control") { db in
            try db.execute(sql: """
                CREATE TABLE control_rooms (
                    server TEXT NOT NULL,
                    room TEXT NOT NULL,
                    record BLOB NOT NULL,
                    PRIMARY KEY (server, room)
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }

    /// Selects the rows of one room: binds server and room (UTF-8 blobs).
    static let ofRoom = "server = CAST(? AS TEXT) AND room = CAST(? AS TEXT)"

    static let putValue = """
        INSERT OR REPLACE INTO kv (server, room, key, value, encoding)
        VALUES (CAST(? AS TEXT), CAST(? AS TEXT), ?, ?, ?)
        """
    static let deleteValue = "DELETE FROM kv WHERE \(ofRoom) AND key = ?"
    static let deleteAllValues = "DELETE FROM kv WHERE \(ofRoom)"
    static let selectValue = "SELECT value, encoding FROM kv WHERE \(ofRoom) AND key = ?"

    static let putSnapshot = "INSERT OR REPLACE INTO snapshots (server, room, data) VALUES (CAST(? AS TEXT), CAST(? AS TEXT), ?)"
    static let deleteSnapshot = "DELETE FROM snapshots WHERE \(ofRoom)"
    static let selectSnapshot = "SELECT data FROM snapshots WHERE \(ofRoom)"

    static let putAlarm = """
        INSERT OR REPLACE INTO alarms (server, room, at_ms, retry_count)
        VALUES (CAST(? AS TEXT), CAST(? AS TEXT), ?, ?)
        """
    static let deleteAlarm = "DELETE FROM alarms WHERE \(ofRoom)"
    static let selectAlarm = "SELECT at_ms, retry_count FROM alarms WHERE \(ofRoom)"
    static let selectAllAlarms = "SELECT CAST(server AS BLOB), CAST(room AS BLOB), at_ms, retry_count FROM alarms"

    static let putControlRecord = """
        INSERT OR REPLACE INTO control_rooms (server, room, record)
        VALUES (CAST(? AS TEXT), CAST(? AS TEXT), ?)
        """
    static let deleteControlRecord = "DELETE FROM control_rooms WHERE \(ofRoom)"
    static let selectAllControlRecords = "SELECT CAST(server AS BLOB), CAST(room AS BLOB), record FROM control_rooms"
}
