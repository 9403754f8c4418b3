/// What one check of a condition found: the awaited value, or a description of what was seen instead.
enum PollResult<Value: Sendable>: Sendable {
    case done(Value)
    case pending(String)
}

/// Thrown when a condition did not hold before its deadline.
struct ConditionTimedOut: Error, CustomStringConvertible {
    let condition: String
    let timeout: Duration
    let lastObservation: String

    var description: String {
        "timed out after \(timeout) waiting until \(condition); last observation: \(lastObservation)"
    }
}

/// Checks `probe` every `interval` until it is satisfied, and throws ``ConditionTimedOut`` once
/// `timeout` has passed. An error thrown by `probe` counts as "not yet" (and is reported if the
/// deadline passes), unless `probe` throws ``AbortWaiting``, which ends the wait at once.
func eventually<Value: Sendable>(
    _ condition: String,
    timeout: Duration = .seconds(15),
    interval: Duration = .milliseconds(50),
    _ probe: () async throws -> PollResult<Value>
) async throws -> Value {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    var last = "never checked"
    while true {
        do {
            switch try await probe() {
            case .done(let value):
                return value
            case .pending(let seen):
                last = seen
            }
        } catch let abort as AbortWaiting {
            throw abort
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            last = "error: \(error)"
        }
        guard clock.now < deadline else {
            throw ConditionTimedOut(condition: condition, timeout: timeout, lastObservation: last)
        }
        try await Task.sleep(for: interval)
    }
}

/// Thrown by a probe of ``eventually(_:timeout:interval:_:)`` when waiting longer cannot help.
struct AbortWaiting: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
