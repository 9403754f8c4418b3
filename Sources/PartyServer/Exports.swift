// The runtime and the types of the public API, re-exported so `import PartyServer` is enough.
@_exported import PartyRuntime
