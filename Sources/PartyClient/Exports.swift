// Types that appear in the public API, re-exported so `import PartyClient` is enough.
@_exported import PartyTime
@_exported import struct Logging.Logger
@_exported import struct NIOSSL.TLSConfiguration
