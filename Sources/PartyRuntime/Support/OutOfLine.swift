/// Keeps a rarely set optional value out of line: the enclosing struct stores one reference
/// instead of the value. Worth it where many of those structs are kept, such as one per room in
/// memory, and the value is large and usually nil. Setting the value allocates; reading does not.
@propertyWrapper
package struct OutOfLine<Wrapped> {
    /// The value, immutable: a copy of the struct shares it until either side sets a new one.
    private final class Box {
        let value: Wrapped

        init(_ value: Wrapped) {
            self.value = value
        }
    }

    private var box: Box?

    /// Stores `wrappedValue` (nothing is allocated for nil).
    package init(wrappedValue: Wrapped?) {
        box = wrappedValue.map(Box.init)
    }

    /// The value, or nil.
    package var wrappedValue: Wrapped? {
        get { box?.value }
        set { box = newValue.map(Box.init) }
    }
}

// The box is immutable, so the wrapper is as sendable as its value.
extension OutOfLine: @unchecked Sendable where Wrapped: Sendable {}
