extension Duration {
    /// The duration in seconds, counted the way `ManualClock` counts an advance.
    package var timeInterval: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
