import Foundation
import HTTPTypes
import NIOCore

extension PartyFront {
    /// Where nodes send each other room calls.
    static let clusterCallPath = "/_partycluster/call"
    /// The header carrying the cluster's secret on a forwarded room call.
    static let clusterSecretHeader = HTTPField.Name("x-partyserver-cluster-secret")!

    /// The answer to `POST /_partycluster/call`, a room call another node forwarded here, or `nil`
    /// for any other request (and without a cluster, so the path is as absent as any other).
    /// Without the cluster's secret the answer is the same 404, so clients cannot run `onCall`
    /// or `onRequest` around `onBeforeRequest`.
    func respondToClusterCall(
        method: HTTPRequest.Method, target: String, headers: HTTPFields, readBody: (Int) async throws -> ByteBuffer
    ) async -> Response? {
        let path = target.firstIndex(of: "?").map { String(target[..<$0]) } ?? target
        guard path == Self.clusterCallPath, let cluster = edge.cluster, let calls = edge.clusterCalls else { return nil }
        guard method == .post, cluster.secret.matches(headers[Self.clusterSecretHeader]) else {
            logger.info("refused a room call without the cluster's secret", metadata: [
                "method": "\(method)", "secret": "\(headers[Self.clusterSecretHeader] == nil ? "missing" : "wrong")",
                "forwardedBy": "\(headers[Self.forwardedByHeader]?.prefix(64) ?? "")",
            ])
            return .error(.notFound, "not found")
        }
        let call: RoomCall
        do {
            let body = try await readBody(ClusterRoomCallRouter.maxEnvelopeSize)
            call = try JSONDecoder().decode(ClusterCallEnvelope.self, from: Data(body.readableBytesView)).call()
        } catch {
            logger.warning("refused a malformed room call from another node", metadata: ["error": "\(error)"])
            return .error(.badRequest, "malformed room call envelope (\(error)); run the same partyserver version on every node")
        }
        let outcome: Result<RoomCallReply, RoomCallError>
        do throws(RoomCallError) {
            outcome = .success(try await calls.serve(call))
        } catch {
            outcome = .failure(error)
        }
        do {
            let body = try JSONEncoder().encode(ClusterCallReplyEnvelope(outcome))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: body))
        } catch {
            return .error(.internalServerError, "the reply could not be encoded: \(error)")
        }
    }
}
