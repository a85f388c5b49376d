import CrossguardRuntime
import Testing

/// The report `diag` prints: its exit status, the remedy under each warning and failure, and JSON that
/// quotes what the kernel and the files put in a finding.
@Suite("Diag report")
struct DiagnosisTests {
    private func report(_ outcomes: [DiagOutcome]) -> DiagReport {
        DiagReport(board: "b", site: "s", simulated: false,
                   checks: outcomes.enumerated().map { DiagCheck("check.\($0.offset)", $0.element, "finding \($0.offset)") })
    }

    @Test func theExitStatusIsZeroForPassesAndSkipsTwoForWarningsOneForAnyFailure() {
        #expect(report([.pass, .skip]).exitCode == 0)
        #expect(report([.skip]).exitCode == 0)
        #expect(report([.pass, .warn(remedy: "w"), .skip]).exitCode == 2)
        #expect(report([.warn(remedy: "w"), .fail(remedy: "f"), .pass]).exitCode == 1)
        #expect(report([.fail(remedy: "f"), .warn(remedy: "w")]).result == .fail)
        let c = report([.pass, .pass, .warn(remedy: "w"), .fail(remedy: "f"), .skip]).counts
        #expect((c.pass, c.warn, c.fail, c.skip) == (2, 1, 1, 1))
    }

    @Test func everyWarningAndFailureHasItsRemedyOnTheLineUnderIt() {
        let text = DiagReport(board: "rpi4b (board.toml)", site: "kz-1 (site.toml)", simulated: false, checks: [
            DiagCheck("gpio.line.ped.button", .fail(remedy: "stop gpioset"), "GPIO6 is held by \"gpioset\""),
            DiagCheck("clock.sync", .pass, "synchronised"),
            DiagCheck("rt.latency", .warn(remedy: "set realtime_priority"), "3 overruns"),
        ]).text
        #expect(text == """
            crossguard diag: board rpi4b (board.toml), site kz-1 (site.toml)
            FAIL  gpio.line.ped.button  GPIO6 is held by "gpioset"
                                        -> stop gpioset
            PASS  clock.sync            synchronised
            WARN  rt.latency            3 overruns
                                        -> set realtime_priority
            diag: 1 pass, 1 warn, 1 fail, 0 skip; exit 1

            """)
    }

    @Test func theJSONQuotesWhatTheFindingsCarry() {
        let json = DiagReport(board: "b \"x\"", site: "s\\t", simulated: true, checks: [
            DiagCheck("config", .fail(remedy: "fix \"amber\""), "line 1\nline 2"),
            DiagCheck("watchdog", .skip, "none"),
        ]).json
        #expect(json == #"{"board":"b \"x\"","site":"s\\t","simulated":true,"result":"fail","counts":{"pass":0,"warn":0,"fail":1,"skip":1},"#
            + #""checks":[{"id":"config","status":"fail","detail":"line 1\nline 2","remedy":"fix \"amber\""},"#
            + #"{"id":"watchdog","status":"skip","detail":"none","remedy":null}]}"#)
    }
}
