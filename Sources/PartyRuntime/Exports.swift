// Types that appear in the public API, re-exported so `import PartyRuntime` is enough.
@_exported import HTTPTypes
@_exported import struct Logging.Logger
@_exported import struct NIOCore.ByteBuffer
@_exported import struct OrderedCollections.OrderedDictionary
@_exported import PartyTime
