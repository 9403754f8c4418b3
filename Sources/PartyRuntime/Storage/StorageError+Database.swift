import GRDB

extension StorageError {
    /// The storage error for an error thrown by GRDB: `SQLITE_FULL` is `.full`, a closed
    /// connection is `.closed`, anything else `.ioFailed`.
    init(database error: any Error) {
        if let error = error as? StorageError {
            self = error
            return
        }
        guard let error = error as? DatabaseError else {
            self = .ioFailed("\(error)")
            return
        }
        switch error.resultCode {
        case .SQLITE_FULL:
            self = .full
        case .SQLITE_MISUSE where error.message?.contains("closed") == true:
            self = .closed
        default:
            self = .ioFailed(error.description)
        }
    }

    /// Whether an error means the transaction it happened in must not go on, even if SQLite
    /// kept it open: the disk, the file or the memory failed.
    static func endsTransaction(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return true }
        switch error.resultCode {
        case .SQLITE_IOERR, .SQLITE_CORRUPT, .SQLITE_NOMEM, .SQLITE_NOTADB, .SQLITE_CANTOPEN,
            .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_INTERRUPT, .SQLITE_ABORT, .SQLITE_BUSY, .SQLITE_LOCKED:
            return true
        default:
            return false
        }
    }
}
