import Foundation
import NIOCore
import NIOWebSocket

/// What a session has read from its peer, frame by frame, off the event loop: RFC 6455 rules
/// (`InboundFrameProcessor`), the message rate limit, and the violation the connection is
/// closing for. No I/O: says what the session must do for each frame.
struct SessionReader {
    /// What to do for a frame.
    enum Step {
        /// Nothing (a fragment, a pong, or a frame read after a violation).
        case none
        /// Hand the message to the room.
        case deliver(Message)
        /// Answer a ping.
        case pong(ByteBuffer)
        /// The peer broke the protocol (or, with `rateLimited`, the rate limit): close with
        /// `code`, tell `onError`, keep reading until the peer answers.
        case violation(code: Int, reason: String, rateLimited: Bool)
        /// The peer's close frame: answer it (unless a close is on its way) and end cleanly.
        case peerClose(code: Int?, reason: String)
        /// The peer answered the close sent for a violation: end with that violation.
        case end(WebSocketSession.Ending)
    }

    private var processor: InboundFrameProcessor
    private let rate: MessageRate?
    private let clock: any PartyClock
    private var budget: TokenBucket?
    /// The violation the connection is closing for, if any.
    private(set) var failure: WebSocketSession.Ending?

    init(processor: InboundFrameProcessor, rate: MessageRate?, clock: any PartyClock) {
        self.processor = processor
        self.rate = rate
        self.clock = clock
        self.budget = rate.map { TokenBucket($0, now: clock.now) }
    }

    /// Reads one frame (the clock is read only when a rate limit applies).
    mutating func read(_ frame: WebSocketFrame) -> Step {
        let action = processor.process(frame)
        let clock = self.clock
        if failure == nil, action.takesToken, let rate, budget?.take(now: clock.now) == false {
            // Close with 1008 and keep reading (and discarding) until the peer answers.
            let reason = "rate limit: at most \(rate.perSecondText) messages per second"
            failure = WebSocketSession.Ending(code: CloseCode.policyViolation, reason: reason, wasClean: false)
            return .violation(code: CloseCode.policyViolation, reason: reason, rateLimited: true)
        }
        switch action {
        case .none:
            return .none
        case .message(let message):
            // After a violation the connection is closing: the room no longer gets messages.
            return failure == nil ? .deliver(message) : .none
        case .ping(let payload):
            return failure == nil ? .pong(payload) : .none
        case .close(let code, let reason):
            if let failure { return .end(failure) }
            return .peerClose(code: code, reason: reason)
        case .fail(let code, let reason):
            guard failure == nil else { return .none }
            failure = WebSocketSession.Ending(code: code, reason: reason, wasClean: false)
            return .violation(code: code, reason: reason, rateLimited: false)
        }
    }

    /// The frame decoder refused the peer's bytes: true when this is the connection's first
    /// violation (it then closes with the error's code).
    mutating func framingFailed(_ error: FramingError) -> Bool {
        guard failure == nil else { return false }
        failure = WebSocketSession.Ending(code: error.code, reason: error.description, wasClean: false)
        return true
    }

    /// How many tokens the rate limit allows in a burst (for the log line).
    var burst: Int? { rate?.burst }
}
