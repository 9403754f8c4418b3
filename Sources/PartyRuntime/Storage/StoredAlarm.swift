import Foundation

/// A room's durable alarm as stored: when it fires and how many times it was retried.
package struct StoredAlarm: Sendable, Equatable {
    /// The server type's route name.
    package var server: String
    /// The room name.
    package var room: String
    /// When the alarm fires; stored to the nearest millisecond.
    package var at: Date
    /// How many times delivery was retried after `onAlarm` threw.
    package var retryCount: Int

    /// Creates an alarm; `at` is rounded to the nearest millisecond, as it is stored.
    package init(server: String, room: String, at: Date, retryCount: Int = 0) {
        self.server = server
        self.room = room
        self.at = Date(timeIntervalSince1970: Double(Self.milliseconds(at)) / 1000)
        self.retryCount = retryCount
    }

    /// `date` as integer milliseconds since 1970, rounded to the nearest.
    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// Milliseconds since 1970 as stored.
    package var atMilliseconds: Int64 { Self.milliseconds(at) }
}
