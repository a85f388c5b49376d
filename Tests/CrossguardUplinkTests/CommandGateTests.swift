import CrossguardCore
import CrossguardUplink
import Testing

let now = RFC3339.parse("2026-11-21T10:00:00Z")!

func command(_ fields: String, issued: String = "2026-11-21T09:59:30Z") -> [UInt8] {
    Array("{\"id\":\"c-1\",\"issued_at\":\"\(issued)\",\(fields)}".utf8)
}

func replyError(_ admission: CommandAdmission) -> String? {
    guard case .reply(let bytes) = admission, case .success(let reply) = JSONText.parseObject(bytes) else { return nil }
    guard case .string(let error) = reply["error"] else { return "(no error) " + String(decoding: bytes, as: UTF8.self) }
    return error
}

@Suite("Centre commands: JSON, validation and replies")
struct CommandGateTests {
    @Test(arguments: [
        ("\"type\":\"sos.ack\",\"alarm\":3", Command.acknowledgeAlarm(alarmID: 3)),
        ("\"type\":\"sos.ack\"", Command.acknowledgeAlarm(alarmID: nil)),
        ("\"type\":\"sos.close\",\"alarm\":null", Command.closeAlarm(alarmID: nil)),
        ("\"type\":\"mode.set\",\"mode\":\"flash\",\"revert_after_s\":600", Command.setMode(.flash, revertAfterTicks: 60_000)),
        ("\"type\":\"mode.set\",\"mode\":\"dark\"", Command.setMode(.dark, revertAfterTicks: nil)),
        ("\"type\":\"fault.reset\"", Command.resetFault),
        ("\"type\":\"lamp.test\"", Command.lampTest),
    ])
    func validCommandsGoToTheCore(fields: String, expected: Command) {
        var gate = CommandGate(tickMs: 10)
        #expect(gate.admit(command(fields), nowUnixMs: now) == .execute(id: "c-1", command: expected))
    }

    @Test func diagRunIsAnsweredByTheUplink() {
        var gate = CommandGate(tickMs: 10)
        #expect(gate.admit(command("\"type\":\"diag.run\""), nowUnixMs: now) == .diagnose(id: "c-1"))
    }

    @Test(arguments: [
        ("{\"id\":\"c-1\",", "the command is not JSON at byte 12: expected a key"),
        ("[1,2]", "the command is not JSON at byte 0: expected an object"),
        ("{\"type\":\"sos.ack\"}", "id is missing"),
        ("{\"id\":7,\"type\":\"sos.ack\"}", "id must be a string of 1–64 bytes"),
        ("{\"id\":\"c-1\",\"type\":\"sos.ack\"}", "issued_at is missing (RFC 3339 UTC time the centre issued the command)"),
        ("{\"id\":\"c-1\",\"issued_at\":\"yesterday\",\"type\":\"sos.ack\"}", "issued_at = \"yesterday\" is not an RFC 3339 time such as 2026-11-21T10:00:00Z"),
        ("{\"id\":\"c-1\",\"issued_at\":\"2026-11-21T09:54:59Z\",\"type\":\"sos.ack\"}", "issued_at 2026-11-21T09:54:59Z is older than the 300 s command window"),
        ("{\"id\":\"c-1\",\"issued_at\":\"2026-11-21T10:00:31Z\",\"type\":\"sos.ack\"}", "issued_at 2026-11-21T10:00:31Z is more than 30 s ahead of the device clock"),
    ])
    func envelopeProblemsAreAnsweredPrecisely(payload: String, error: String) {
        var gate = CommandGate(tickMs: 10)
        #expect(replyError(gate.admit(Array(payload.utf8), nowUnixMs: now)) == error)
    }

    @Test(arguments: [
        ("\"type\":\"sos.help\"", "type = \"sos.help\" is not a command; one of: sos.ack, sos.close, mode.set, fault.reset, lamp.test, diag.run"),
        ("\"type\":\"sos.ack\",\"alarm\":\"3\"", "alarm = \"3\" is a string; expected an integer"),
        ("\"type\":\"sos.ack\",\"alarm\":0", "alarm = 0 is not an alarm id (1–4294967295)"),
        ("\"type\":\"mode.set\"", "mode is missing; one of: normal, flash, dark"),
        ("\"type\":\"mode.set\",\"mode\":\"blink\"", "mode = \"blink\" is not a mode; one of: normal, flash, dark"),
        ("\"type\":\"mode.set\",\"mode\":\"flash\",\"revert_after_s\":0", "revert_after_s = 0 is outside 1 s–7 days"),
        ("\"type\":\"fault.reset\",\"force\":true", "force is not a known key (known here: type)"),
        ("\"type\":\"diag.run\",\"deep\":true", "deep is not a field of diag.run"),
    ])
    func commandProblemsAreAnsweredPrecisely(fields: String, error: String) {
        var gate = CommandGate(tickMs: 10)
        #expect(replyError(gate.admit(command(fields), nowUnixMs: now)) == error)
    }

    @Test func aRepeatedIdIsAnsweredAgainAndNeverExecutedTwice() {
        var gate = CommandGate(tickMs: 10)
        let close = command("\"type\":\"sos.close\"")
        #expect(gate.admit(close, nowUnixMs: now) == .execute(id: "c-1", command: .closeAlarm(alarmID: nil)))
        #expect(gate.admit(close, nowUnixMs: now) == .ignore)  // still being executed
        let answer = UplinkPayload.commandResult(id: "c-1", type: "sos.close", error: nil)
        gate.answered(id: "c-1", reply: answer)
        #expect(gate.admit(close, nowUnixMs: now + 1_000) == .reply(answer))
    }

    @Test func repliesAreOneJSONObjectWithIdOkAndError() {
        #expect(String(decoding: UplinkPayload.commandResult(id: "c\"1", type: "sos.ack", error: nil), as: UTF8.self)
            == #"{"id":"c\"1","type":"sos.ack","ok":true,"error":null}"#)
        #expect(String(decoding: UplinkPayload.commandResult(id: nil, type: nil, error: "bad\n"), as: UTF8.self)
            == #"{"id":null,"type":null,"ok":false,"error":"bad\n"}"#)
    }
}

@Suite("JSON text and RFC 3339 time")
struct JSONTextTests {
    @Test func parsesObjectsStrictly() throws {
        let table = try JSONText.parseObject(Array(#" { "a" : [1, -2.5, 3e2, true, "x\u00e9\n\ud83d\ude00"], "b": {"c": false} } "#.utf8)).get()
        #expect(table["a"] == .array([.integer(1), .float(-2.5), .integer(300), .boolean(true), .string("xé\n😀")]))
        #expect(table["b"] == .table(ConfigTable([("c", .boolean(false))])))
        for bad in ["{", "{\"a\":1,}", "{\"a\":01}", "{\"a\":1}x", "{\"a\":\"\u{01}\"}", "{\"a\":1,\"a\":2}", "{\"a\":\"\\ud800\"}",
                    String(repeating: "{\"a\":", count: 20) + "1" + String(repeating: "}", count: 20), "{\"a\":1e999}"] {
            if case .success = JSONText.parseObject(Array(bad.utf8)) { Issue.record("accepted \(bad.debugDescription)") }
        }
        if case .success = JSONText.parseObject([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]) { Issue.record("accepted invalid UTF-8") }
    }

    @Test func randomBytesNeverCrashTheReader() {
        var g = SplitMix64(state: 7)
        for _ in 0..<20_000 {
            let alphabet = Array("{}[]\":,01-.eE truefalsnul\\u".utf8)
            let bytes = (0..<g.below(40)).map { _ in alphabet[g.below(alphabet.count)] }
            _ = JSONText.parseObject(bytes)
        }
    }

    @Test func formatsAndParsesUTC() {
        #expect(RFC3339.format(unixMs: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.format(unixMs: 1_795_255_200_123) == "2026-11-21T10:00:00.123Z")
        #expect(RFC3339.format(unixMs: 951_782_400_000) == "2000-02-29T00:00:00.000Z")
        #expect(RFC3339.parse("2026-11-21T10:00:00.123Z") == 1_795_255_200_123)
        #expect(RFC3339.parse("2026-11-21T12:00:00.5+02:00") == 1_795_255_200_500)
        #expect(RFC3339.parse("2026-11-21T10:00:00.123456789Z") == 1_795_255_200_123)
        for bad in ["2026-11-21", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-21T10:00:00", "2026-11-21T10:00:00.Z", "2026-11-21T24:00:00Z"] {
            #expect(RFC3339.parse(bad) == nil, "\(bad)")
        }
        var g = SplitMix64(state: 3)
        for _ in 0..<2_000 {
            let ms = Int64(g.below(4_000_000_000_000))
            #expect(RFC3339.parse(RFC3339.format(unixMs: ms)) == ms)
        }
    }
}
