/// Settings of a `TinyBaseServer` type.
public struct TinyBaseOptions: Sendable {
    /// How long the server's store waits for a client's answer before it gives up a pull, in
    /// milliseconds. Default 1000 (TinyBase's `requestTimeoutSeconds`).
    public var requestTimeoutMilliseconds: Int64
    /// The limits on split messages being put back together, per connection.
    public var reassembly: TinyBaseReassemblyBuffer.Limits
    /// The largest stored value the store's snapshot is split into. Default 1 MiB.
    public var snapshotChunkBytes: Int

    /// Creates options; every argument has its documented default.
    public init(
        requestTimeoutMilliseconds: Int64 = 1000,
        reassembly: TinyBaseReassemblyBuffer.Limits = TinyBaseReassemblyBuffer.Limits(),
        snapshotChunkBytes: Int = 1 << 20
    ) {
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
        self.reassembly = reassembly
        self.snapshotChunkBytes = snapshotChunkBytes
    }
}
