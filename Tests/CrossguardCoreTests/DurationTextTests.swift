import CrossguardCore
import Testing

@Suite("Duration text")
struct DurationTextTests {
    @Test("parses what config files write", arguments: [
        ("250ms", 250), ("7s", 7_000), ("10.25s", 10_250), ("0.5s", 500), ("2m", 120_000), ("24h", 86_400_000), ("2min", 120_000), ("0ms", 0), ("1.001s", 1_001),
    ])
    func parses(_ text: String, _ ms: Int) {
        #expect(DurationText.milliseconds(text) == .success(ms))
    }

    @Test("refuses what is not a duration, saying why", arguments: [
        ("7", DurationTextError.missingUnit), ("s", .notANumber), ("1.2.3s", .notANumber), ("-1s", .notANumber),
        ("1.5ms", .finerThanMilliseconds), ("0.0001s", .finerThanMilliseconds), ("1e3ms", .notANumber), ("9999999999s", .tooLarge), ("1.s", .notANumber),
    ])
    func refuses(_ text: String, _ error: DurationTextError) {
        #expect(DurationText.milliseconds(text) == .failure(error))
    }

    @Test("formats the way messages quote values", arguments: [
        (7_000, "7 s"), (12_250, "12.25 s"), (250, "250 ms"), (9_820, "9.82 s"), (1_005, "1.005 s"), (120_000, "2 min"), (86_400_000, "24 h"), (90_000, "90 s"),
    ])
    func formats(_ ms: Int, _ text: String) {
        #expect(DurationText.format(milliseconds: ms) == text)
    }
}
