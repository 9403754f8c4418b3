import Foundation
import PartyRuntime

extension YServer {
    /// Notes a change for `onSave` and starts the save timer unless it runs: one timer per
    /// unsaved period, not one per change.
    func noteUnsavedChange() {
        let now = room.now
        yjs.lastChange = now
        if yjs.unsavedSince == nil { yjs.unsavedSince = now }
        guard !yjs.saveTimerRunning else { return }
        yjs.saveTimerRunning = true
        let clock = room.services.clock
        Task { [weak self] in
            var deadline = now
            while let self, let next = await self.saveDeadline(after: deadline) {
                deadline = next
                guard (try? await clock.sleep(until: next)) != nil else { return }
            }
        }
    }

    /// When the pending save is due; runs it (returning nil, which ends the timer) when that is
    /// now.
    private func saveDeadline(after: Date) async -> Date? {
        guard let since = yjs.unsavedSince, let last = yjs.lastChange else {
            yjs.saveTimerRunning = false
            return nil
        }
        let options = Self.yjsOptions
        let due = min(last.addingTimeInterval(options.saveDebounce.timeInterval), since.addingTimeInterval(options.saveMaxWait.timeInterval))
        guard room.now >= due else { return due }
        yjs.saveTimerRunning = false
        do {
            try await saveNow()
        } catch {
            room.logger.error("onSave failed; it runs again after the next change", metadata: ["error": "\(error)"])
        }
        return nil
    }

    /// Hands the document to `onSave` if it changed since the last save.
    func saveNow() async throws {
        guard yjs.unsavedSince != nil else { return }
        yjs.unsavedSince = nil
        yjs.lastChange = nil
        try await onSave(yjs.document.encode())
    }
}
