import Foundation
import NIOCore
import NIOSSL
import PartyClient
import PartyRooms
import PartyServer
import PartyServerTesting
import Testing

/// `https` and `wss` with a self-signed certificate made in the test.
@Suite("TLS")
struct TLSTests {
    private func clientTLS(trusting certificate: SelfSignedCertificate) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(certificate.certificatePEM.utf8)))
        return tls
    }

    @Test("a server with TLSSettings serves wss and https to a client that trusts its certificate, and nothing in plain text")
    func wssAndHTTPS() async throws {
        let certificate = try SelfSignedCertificate.make()
        defer { certificate.remove() }
        var configuration = PartyConfiguration()
        configuration.tls = TLSSettings(certificateChainPath: certificate.certificatePath, privateKeyPath: certificate.privateKeyPath)
        try await PartyTestServer.withServer(configuration: configuration, { try ReadyMadeRooms.register(in: $0) }) { server in
            let room = uniqueRoom("tls")
            var options = PartySocketOptions(host: "127.0.0.1:\(server.port)", room: room, party: "counter")
            options.scheme = .wss
            options.tlsConfiguration = try clientTLS(trusting: certificate)
            options.connectionTimeout = .seconds(30)
            options.maxRetries = 0
            let socket = try PartySocket(options)
            let running = RunningSocket(socket)
            running.start()
            try await running.waitOpen()
            socket.send("inc")
            try await waitUntil("the count came back over wss") { running.texts.contains(#"{"count":1}"#) }
            let response = try await socket.fetch()
            #expect(response.status == 200)
            #expect(response.text == #"{"count":1}"#)
            try await running.close()

            var untrusting = options
            untrusting.tlsConfiguration = .makeClientConfiguration()
            let refused = try PartySocket(untrusting)
            await #expect(throws: PartySocketError.self) { try await refused.fetch() }

            let plain = try? await server.request("GET", "/parties/counter/\(room)")
            #expect(plain == nil, "plain HTTP must not be answered on a TLS port: \(String(describing: plain?.status))")
        }
    }

    @Test("unreadable or mismatched TLS files stop the server from starting with an error naming the file")
    func badFiles() async throws {
        let certificate = try SelfSignedCertificate.make()
        let other = try SelfSignedCertificate.make()
        defer {
            certificate.remove()
            other.remove()
        }
        let cases: [(TLSSettings, String)] = [
            (TLSSettings(certificateChainPath: certificate.directory + "/missing.pem", privateKeyPath: certificate.privateKeyPath), "missing.pem"),
            (TLSSettings(certificateChainPath: certificate.certificatePath, privateKeyPath: certificate.certificatePath), "cert.pem"),
            (TLSSettings(certificateChainPath: certificate.certificatePath, privateKeyPath: other.privateKeyPath), "cannot be used with the certificate"),
        ]
        for (settings, expected) in cases {
            var configuration = PartyConfiguration()
            configuration.tls = settings
            do {
                let server = try await PartyTestServer.start(configuration: configuration) { try ReadyMadeRooms.register(in: $0) }
                try await server.shutdown()
                Issue.record("the server started with bad TLS files (\(expected))")
            } catch let error as TLSSettingsError {
                #expect(error.description.contains(expected), "\(error)")
            }
        }
    }
}
