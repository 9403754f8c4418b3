import GRDB

extension SQLiteStorageBackend {
    /// Commits `submissions` in one transaction, each in its own savepoint; one outcome per
    /// submission.
    ///
    /// When a submission's own data ends the transaction (SQLite rolls the whole transaction back
    /// on `SQLITE_FULL` for most statements), that submission fails and the others are committed
    /// again without it, so one write that does not fit does not fail its neighbours. An error of
    /// the database itself (I/O, corruption, a failed commit) fails every remaining submission.
    package func commit(_ submissions: [StorageSubmission]) async -> [Result<Int, StorageError>] {
        var outcomes = [Result<Int, StorageError>](repeating: .failure(.closed), count: submissions.count)
        var remaining = Array(submissions.indices)
        while !remaining.isEmpty {
            let round = remaining.map { submissions[$0] }
            do {
                let results = try await database.writeWithoutTransaction { db in
                    var results: [Result<Int, StorageError>] = []
                    results.reserveCapacity(round.count)
                    var owners = RoundOwners()
                    try db.inTransaction(.immediate) {
                        for (position, submission) in round.enumerated() {
                            if let failure = owners.failure(before: submission) {
                                results.append(.failure(failure))
                                continue
                            }
                            let result = try Self.apply(submission, at: position, to: db)
                            if case .failure(let error) = result { owners.record(error, of: submission) }
                            results.append(result)
                        }
                        return .commit
                    }
                    return results
                }
                for (index, result) in zip(remaining, results) { outcomes[index] = result }
                return outcomes
            } catch let failure as SubmissionEndedTransaction {
                let index = remaining.remove(at: failure.position)
                let error = StorageError(database: failure.error)
                outcomes[index] = .failure(error)
                let submission = submissions[index]
                // A room's own write: the room logs its reset with the cause.
                logger.log(level: submission.owner == nil ? .warning : .debug, "storage write failed", metadata: [
                    "server": "\(StorageCodec.string(submission.server))",
                    "room": "\(StorageCodec.string(submission.room).prefix(200))",
                    "error": "\(failure.error)",
                ])
                // The room's later submissions of this round were made on top of the failed one.
                if let owner = submission.owner {
                    remaining.removeAll { later in
                        guard later > index, submissions[later].owner?.id == owner.id else { return false }
                        outcomes[later] = .failure(.roomReset(error.description))
                        return true
                    }
                }
            } catch {
                logger.error(
                    "storage transaction failed",
                    metadata: ["submissions": "\(remaining.count)", "error": "\(error)"]
                )
                for index in remaining { outcomes[index] = .failure(StorageError(database: error)) }
                return outcomes
            }
        }
        return outcomes
    }

    /// Runs one submission in a savepoint. Returns its outcome when the transaction can go on;
    /// throws when the transaction cannot: ``SubmissionEndedTransaction`` when the submission's
    /// data caused it, the database error itself otherwise.
    private static func apply(_ submission: StorageSubmission, at position: Int, to db: Database) throws -> Result<Int, StorageError> {
        try db.execute(sql: "SAVEPOINT submission")
        do {
            let deleted = try submission.apply(to: db)
            try db.execute(sql: "RELEASE SAVEPOINT submission")
            return .success(deleted)
        } catch {
            if StorageError.endsTransaction(error) { throw error }
            // SQLite undid the failed statement, and sometimes the whole transaction.
            guard db.isInsideTransaction else { throw SubmissionEndedTransaction(position: position, error: error) }
            try db.execute(sql: "ROLLBACK TO SAVEPOINT submission")
            try db.execute(sql: "RELEASE SAVEPOINT submission")
            return .failure(StorageError(database: error))
        }
    }
}

/// Thrown out of a commit round when one submission's data (not the database) ended the
/// transaction; the round is retried without it.
private struct SubmissionEndedTransaction: Error {
    /// The submission's position in the round.
    let position: Int
    let error: any Error
}
