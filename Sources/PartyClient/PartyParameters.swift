/// Name–value pairs for ``PartySocketOptions/query`` and ``PartySocketOptions/headers``: fixed,
/// or produced by an `async` closure that runs again before every connection attempt (and every
/// `fetch`), e.g. to refresh a token.
///
/// ```swift
/// options.query = ["token": "abc"]                                // fixed
/// options.query = .dynamic { [("token", try await auth.token())] } // fresh on each connect
/// options.headers = ["Authorization": "PartyWorker \(id):\(secret)"]
/// ```
public struct PartyParameters: Sendable, ExpressibleByDictionaryLiteral {
    private enum Source: Sendable {
        case fixed([(String, String)])
        case dynamic(@Sendable () async throws -> [(String, String)])
    }

    private let source: Source

    /// The pairs `pairs`, in order (a name may repeat).
    public static func fixed(_ pairs: [(String, String)]) -> Self {
        Self(source: .fixed(pairs))
    }

    /// Pairs computed by `provider` before every connection attempt and every `fetch`.
    ///
    /// If it throws, the attempt fails with ``PartySocketError/Code/parametersFailed`` and the
    /// socket retries with backoff (`fetch` throws that error).
    public static func dynamic(_ provider: @escaping @Sendable () async throws -> [(String, String)]) -> Self {
        Self(source: .dynamic(provider))
    }

    /// The pairs of a dictionary literal, in the order written.
    public init(dictionaryLiteral elements: (String, String)...) {
        source = .fixed(elements)
    }

    private init(source: Source) {
        self.source = source
    }

    /// The fixed pairs, or nil for a provider.
    var fixedPairs: [(String, String)]? {
        if case .fixed(let pairs) = source { return pairs }
        return nil
    }

    /// The pairs: the fixed ones, or what the provider returns now.
    func resolve() async throws -> [(String, String)] {
        switch source {
        case .fixed(let pairs): pairs
        case .dynamic(let provider): try await provider()
        }
    }
}
