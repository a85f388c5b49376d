import CrossguardHAL
import CrossguardRuntime
import Testing

/// The one life cycle of every I2C part, on its own: no bus, no thread, milliseconds handed in.
@Suite("Part supervisor: up, silent after failures in a row, restarted on its period")
struct PartSupervisorTests {
    let glitch = HardwareError(.noAcknowledge, "ina219 at 0x40 on /dev/i2c-1: no acknowledge")

    @Test func failuresInARowMakeItSilentAndAnAnswerBetweenThemStartsTheCountAgain() {
        var s = PartSupervisor(failuresBeforeSilent: 3, restartEveryMs: 1_000)
        let first = s.failed(glitch, nextMs: 50), second = s.failed(glitch, nextMs: 100)
        #expect(!first && !second)
        s.answered(nextMs: 150)                            // the third attempt answered: a glitch, not a fault
        #expect(s.state == .up(failuresInARow: 0) && s.answers == 1)
        let fourth = s.failed(glitch, nextMs: 200), fifth = s.failed(glitch, nextMs: 250), sixth = s.failed(glitch, nextMs: 300)
        #expect(!fourth && !fifth)
        #expect(sixth)                                     // the third in a row: silent, said once
        #expect(s.isSilent && s.failures == 5 && s.lastError == glitch && s.dueMs == 300)
        let again = s.failed(glitch, nextMs: 350)
        #expect(!again)                                    // already silent: no second transition
    }

    @Test func aSilentPartIsTriedAgainOnItsPeriodUntilItComesUp() {
        var s = PartSupervisor(failuresBeforeSilent: 3, restartEveryMs: 1_000)
        s.startFailed(glitch, nowMs: 0)
        #expect(s.isSilent && !s.isDue(999) && s.isDue(1_000))
        s.startFailed(glitch, nowMs: 1_000)
        #expect(s.dueMs == 2_000 && s.failures == 2)
        s.cameUp(nextMs: 2_050)
        #expect(s.state == .up(failuresInARow: 0) && !s.isDue(2_049) && s.isDue(2_050))
    }

    @Test func nothingNewIsNeitherAnAnswerNorAFailureButEndsARunOfFailures() {
        var s = PartSupervisor(failuresBeforeSilent: 2, restartEveryMs: 1_000)
        let once = s.failed(glitch, nextMs: 50)
        #expect(!once)
        s.answeredWithNothingNew(nextMs: 100)
        #expect(s.state == .up(failuresInARow: 0) && s.answers == 0 && s.failures == 1)
        s.silence(HardwareError(.timeout, "vl53l0x at 0x29 on /dev/i2c-1: no new sample for 1000 ms"), nextMs: 150)
        #expect(s.isSilent && s.lastError?.kind == .timeout && s.dueMs == 150)
    }

    @Test func oneFailureSilencesAPartThatMayNotFailTwice() {
        var display = PartSupervisor(failuresBeforeSilent: 1, restartEveryMs: 1_000)
        let silenced = display.failed(glitch, nextMs: 1_030)
        #expect(silenced)
        #expect(display.isSilent)
    }
}
