import CrossguardUplink
import Testing

/// What `diag` reports of the outbox: unsent records above the cursor, the oldest one's time, and damage,
/// with a torn tail of the newest segment told apart from damage in the middle.
@Suite("Outbox survey (diag)")
struct OutboxSurveyTests {
    private func event(_ seq: UInt64, at time: String) -> [UInt8] {
        OutboxRecord(seq: seq, priority: 1, payload: Array("{\"device\":\"d\",\"seq\":\(seq),\"time\":\"\(time)\",\"type\":\"x\"}".utf8)).encoded
    }

    @Test func countsWhatTheCursorHasNotAcknowledgedAndDatesTheOldest() {
        let first = event(1, at: "2026-12-07T10:00:00.000Z") + event(2, at: "2026-12-07T10:00:01.000Z")
        let second = event(3, at: "2026-12-07T10:00:02.000Z") + event(4, at: "2026-12-07T10:00:03.000Z")
        let survey = OutboxSurvey(segments: [(1, first), (2, second)], cursor: OutboxCursor(acked: 2, reserved: 4_096, clean: true))
        #expect(survey.unsent == 2)
        #expect(survey.bytes == first.count + second.count)
        #expect(survey.oldestUnsentUnixMs == RFC3339.parse("2026-12-07T10:00:02.000Z"))
        #expect(survey.damage.isEmpty && !survey.tornTail)
        // Without a cursor nothing counts as acknowledged.
        #expect(OutboxSurvey(segments: [(1, first)], cursor: nil).unsent == 2)
        #expect(OutboxSurvey(segments: [], cursor: nil) == OutboxSurvey(segments: [], cursor: OutboxCursor(acked: 0, reserved: 0, clean: true)))
        #expect(OutboxSurvey(segments: [], cursor: nil).oldestUnsentUnixMs == nil)
    }

    @Test func aTornTailIsNotDamageButAFlippedByteInTheMiddleIs() {
        let whole = event(1, at: "2026-12-07T10:00:00.000Z") + event(2, at: "2026-12-07T10:00:01.000Z")
        let torn = Array(whole.dropLast(5))
        let survey = OutboxSurvey(segments: [(7, torn)], cursor: nil)
        #expect(survey.tornTail && survey.damage.isEmpty && survey.unsent == 1)

        var flipped = whole + event(3, at: "2026-12-07T10:00:02.000Z")
        flipped[whole.count / 4] ^= 0x40  // inside the first record
        let damaged = OutboxSurvey(segments: [(7, flipped), (8, event(4, at: "2026-12-07T10:00:03.000Z"))], cursor: nil)
        #expect(damaged.unsent == 3, "records 2, 3 and 4 survive the damage to record 1")
        #expect(damaged.damage.map(\.segment) == [7])
        #expect(damaged.damage.first?.span.offset == 0)
        #expect(!damaged.tornTail)
        #expect(damaged.oldestUnsentUnixMs == RFC3339.parse("2026-12-07T10:00:01.000Z"))
    }
}
