@testable import PartyServer
import Testing

/// The header rules of the opening handshake, read straight from the request's bytes.
@Suite("Handshake check")
struct HandshakeCheckTests {
    @Test("Connection lists the upgrade token in any case, among others, with spaces", arguments: [
        ("Upgrade", true), ("upgrade", true), ("keep-alive, Upgrade", true), (" UPGRADE ,close", true), ("\tupgrade", true),
        ("upgrades", false), ("keep-alive", false), ("up grade", false), ("", false), (",,", false), ("upgrade-x", false),
    ])
    func upgradeToken(value: String, expected: Bool) {
        #expect(HandshakeCheck.hasUpgradeToken(value) == expected)
    }

    @Test("Sec-WebSocket-Key is 22 base64 digits and two pads", arguments: [
        ("dGhlIHNhbXBsZSBub25jZQ==", true), (" AAAAAAAAAAAAAAAAAAAAAA== ", true), ("a+/9zzzzzzzzzzzzzzzzzz==", true),
        ("abc", false), ("dGhlIHNhbXBsZSBub25jZQ=", false), ("dGhlIHNhbXBsZSBub25jZQ=A", false), ("dGhlIHNhbXBsZSBub25j=Q==", false),
        ("dGhlIHNhbXBsZSBub25jZQ==A", false), ("dGhlIHNhbXBsZSBub25jZ-==", false), ("", false),
    ])
    func key(value: String, expected: Bool) {
        #expect(HandshakeCheck.isValidKey(value) == expected)
    }
}
