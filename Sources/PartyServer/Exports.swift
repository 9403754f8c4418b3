// The runtime and the types of the public API, re-exported so `import PartyServer` is enough.
@_exported import PartyRuntime
@_exported import struct PartyCluster.ClusterConfiguration
@_exported import struct PartyCluster.PostgresURL
@_exported import enum PartyCluster.ClusterError
