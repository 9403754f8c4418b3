import PartyRuntime
import PostgresNIO

/// The secret the nodes of one cluster share, so that a node runs room calls forwarded by the
/// others only (`POST /_partycluster/call`), never ones a client sends: 32 random bytes as 64
/// hexadecimal digits, made once by the first node that needs it and kept in the database
/// (`party_cluster_secret`). Its description never shows it.
package struct ClusterSecret: Sendable, CustomStringConvertible {
    /// The hexadecimal text a node sends with each forwarded room call.
    package let value: String

    /// A secret with the given text (tests; nodes use ``load(from:)``).
    package init(value: String) {
        self.value = value
    }

    /// Reads the cluster's secret, storing a new random one first when no node did: the first
    /// `INSERT` wins, every node reads the same row.
    package static func load(from database: ClusterDatabase) async throws(ClusterError) -> ClusterSecret {
        var random = SystemRandomNumberGenerator()
        let candidate = (0..<32).map { _ in hexByte(UInt8.random(in: 0...255, using: &random)) }.joined()
        do {
            try await database.query("INSERT INTO party_cluster_secret (id, secret) VALUES (1, \(candidate)) ON CONFLICT (id) DO NOTHING")
            let rows = try await database.query("SELECT secret FROM party_cluster_secret WHERE id = 1")
            guard let secret = try rows.first?.decode(String.self), !secret.isEmpty else {
                throw ClusterError.databaseUnavailable("the cluster secret row is missing after it was stored; check the user's rights on party_cluster_secret")
            }
            return ClusterSecret(value: secret)
        } catch let error as ClusterError {
            throw error
        } catch {
            throw .databaseUnavailable("could not read the cluster secret: \(error)")
        }
    }

    /// Whether `presented` is this secret, compared in a time that does not depend on where they
    /// differ (only on their lengths).
    package func matches(_ presented: String?) -> Bool {
        guard let presented else { return false }
        return ConstantTime.equal(value.utf8, presented.utf8)
    }

    /// Redacted: the secret itself never reaches a log.
    package var description: String { "ClusterSecret(redacted)" }

    /// Two lowercase hexadecimal digits.
    private static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
