import PartyRuntime

/// permessage-deflate for the whole server: the pooled compressor and inflater every connection
/// that negotiated it shares.
struct WebSocketCompression: Sendable {
    let settings: PerMessageDeflate
    let compressor: MessageCompressor
    let inflater: MessageInflater

    init(settings: PerMessageDeflate, metrics: PartyMetrics) {
        self.settings = settings
        self.compressor = MessageCompressor(settings: settings, metrics: metrics)
        self.inflater = MessageInflater()
    }

    /// What one connection uses, if the `Sec-WebSocket-Extensions` values `offers` of its
    /// handshake offer permessage-deflate acceptably; the second value is the header's answer.
    func negotiate(offers: [String]) -> (ConnectionCompression, String)? {
        guard !offers.isEmpty, let agreed = DeflateNegotiation.negotiate(offers: offers, settings: settings) else { return nil }
        return (ConnectionCompression(compressor: compressor, inflater: inflater, windowBits: agreed.serverWindowBits), agreed.response)
    }
}

/// permessage-deflate as one connection negotiated it.
package struct ConnectionCompression: Sendable {
    package let compressor: MessageCompressor
    package let inflater: MessageInflater
    /// Window bits of the server's compressed messages.
    package let windowBits: Int

    package init(compressor: MessageCompressor, inflater: MessageInflater, windowBits: Int) {
        self.compressor = compressor
        self.inflater = inflater
        self.windowBits = windowBits
    }
}
