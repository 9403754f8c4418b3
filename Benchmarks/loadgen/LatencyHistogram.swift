import Histogram

/// A latency histogram in nanoseconds: 1 ns to 1 hour, three significant digits.
func makeLatencyHistogram() -> Histogram<UInt64> {
    Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
}

/// A latency histogram's percentiles in microseconds, and its sample count.
func latencyJSON(_ histogram: Histogram<UInt64>) -> JSONObject {
    var json = JSONObject()
    let has = histogram.totalCount > 0
    func micros(_ nanos: UInt64) -> JSONValue { has ? .number(Double(nanos) / 1000, decimals: 1) : .null }
    json["p50"] = micros(histogram.valueAtPercentile(50))
    json["p99"] = micros(histogram.valueAtPercentile(99))
    json["p999"] = micros(histogram.valueAtPercentile(99.9))
    json["max"] = micros(histogram.maxRecorded)
    json["samples"] = .int(Int(histogram.totalCount))
    return json
}
