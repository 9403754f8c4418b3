#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ServerLimits {
    /// The process's soft limit on open files, if it can be read.
    package static var openFileLimit: Int? {
        var limit = rlimit()
        #if canImport(Glibc)
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        #else
        guard getrlimit(RLIMIT_NOFILE, &limit) == 0 else { return nil }
        #endif
        // RLIM_INFINITY is the largest value: no limit to fit under.
        guard limit.rlim_cur < rlim_t(Int.max) else { return nil }
        return Int(limit.rlim_cur)
    }

    /// File descriptors kept free under an open-file limit: 1,024, or a quarter of a smaller limit.
    static func reservedFiles(under openFiles: Int) -> Int {
        min(1_024, openFiles / 4)
    }

    /// These limits with `maxConnections` lowered, if needed, so that accepting connections leaves
    /// `reservedFiles(under:)` descriptors for storage files and the 503 answers over the limit.
    package func fitted(toOpenFileLimit openFiles: Int?) -> ServerLimits {
        guard let openFiles else { return self }
        var limits = self
        limits.maxConnections = max(1, min(maxConnections, openFiles - Self.reservedFiles(under: openFiles)))
        return limits
    }
}
