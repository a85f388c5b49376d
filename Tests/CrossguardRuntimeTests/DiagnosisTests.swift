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

/// The systemd unit's state as `systemctl show` gives it, and the verdict each state gets.
@Suite("diag: the systemd unit's state")
struct ServiceStateTests {
    /// The verdict, or a skip saying the text did not parse (which no expected verdict below is).
    private func verdict(_ text: String) -> (outcome: DiagOutcome, detail: String) {
        ServiceState(systemctlShow: text)?.verdict(checkConfig: "CHECK", install: "INSTALL") ?? (.skip, "did not parse")
    }

    private func show(load: String = "loaded", active: String, sub: String, file: String = "enabled", result: String = "success", restarts: Int = 0) -> String {
        "LoadState=\(load)\nActiveState=\(active)\nSubState=\(sub)\nUnitFileState=\(file)\nResult=\(result)\nNRestarts=\(restarts)\n"
    }

    @Test func eachStateHasItsVerdictAndNextStep() {
        #expect(verdict(show(active: "active", sub: "running")) == (.pass, "active (running), enabled"))
        #expect(verdict(show(active: "active", sub: "running", restarts: 3)) ==
                (.warn(remedy: "see why: journalctl -u crossguard -b"), "active (running), enabled; systemd restarted it 3 times"))
        #expect(verdict(show(active: "active", sub: "running", file: "disabled")) ==
                (.warn(remedy: "sudo systemctl enable crossguard"), "active (running) but disabled: it will not start at the next boot"))
        // The package's own site file, not yet edited: the unit's ExecCondition skipped the start.
        #expect(verdict(show(active: "inactive", sub: "dead", result: "exec-condition")) ==
                (.fail(remedy: "fix what CHECK reports, then sudo systemctl start crossguard"),
                 "not started: the configuration does not pass check-config (the unit's ExecCondition)"))
        #expect(verdict(show(active: "activating", sub: "auto-restart", result: "exit-code", restarts: 41)) ==
                (.fail(remedy: "see why it stops: journalctl -u crossguard -b"), "stopping and being restarted (41 restarts, last result exit-code)"))
        #expect(verdict(show(active: "failed", sub: "failed", result: "watchdog")) ==
                (.fail(remedy: "see why: journalctl -u crossguard -b; then sudo systemctl restart crossguard"), "failed (watchdog)"))
        #expect(verdict(show(active: "inactive", sub: "dead")) ==
                (.warn(remedy: "sudo systemctl start crossguard (it also starts at the next boot)"), "stopped, enabled"))
        #expect(verdict(show(active: "inactive", sub: "dead", file: "disabled")) ==
                (.warn(remedy: "sudo systemctl enable --now crossguard"), "stopped and disabled: it will not start at the next boot either"))
        #expect(verdict(show(load: "not-found", active: "inactive", sub: "dead", file: "")) ==
                (.warn(remedy: "install the package: INSTALL"), "crossguard.service is not installed"))
        #expect(verdict(show(load: "masked", active: "inactive", sub: "dead", file: "masked")) ==
                (.fail(remedy: "sudo systemctl unmask crossguard && sudo systemctl start crossguard"), "crossguard.service is masked: it cannot start"))
    }

    @Test func anAnswerWithoutTheStatesIsNoState() {
        #expect(ServiceState(systemctlShow: "") == nil)
        #expect(ServiceState(systemctlShow: "LoadState=loaded\nActiveState=active\n") == nil)
    }
}
