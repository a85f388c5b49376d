@testable import CrossguardCore
import Testing

/// The monitor skips a sensed lamp that has settled and whose command and sense have not changed. These
/// tests hold the skip to what it promises: the quiet set is exactly the lamps with nothing left to time,
/// and a lamp that fails or is repaired after a long quiet spell is found as one that just changed is.
@Suite("Quiet lamps in the monitor")
struct QuietLampTests {
    static let roles: [OutputRole] = [.beaconLeft, .beaconRight, .studs, .flood]
    let flasher = Flasher(periodTicks: 100, onTicks: 50)

    func monitor(persist: Ticks = 80) -> SafetyMonitor {
        let set = OutputSet(QuietLampTests.roles)
        return SafetyMonitor(plan: MonitorPlan(lampsOnly: .kz, flasher: flasher, sensed: set, mismatchTicks: persist, drivable: set))
    }

    /// The quiet set as the watches define it, to compare with the one the monitor keeps.
    func expectedQuiet(_ m: SafetyMonitor) -> (quiet: UInt32, levels: UInt32) {
        var quiet: UInt32 = 0, levels: UInt32 = 0
        for role in QuietLampTests.roles {
            let w = m.state.lamps[Int(role.rawValue)]
            guard w.isQuiet else { continue }
            quiet |= 1 << UInt32(role.rawValue)
            if w.command.lit { levels |= 1 << UInt32(role.rawValue) }
        }
        return (quiet, levels)
    }

    @Test func theQuietSetIsExactlyTheLampsWithNothingToTime() {
        var m = monitor()
        var rng = SplitMix64(state: 7)
        var buffer = EventBuffer(capacity: 16)
        var command = OutputSet(), sense = OutputSet()
        var holdCommand = 0, holdSense = 0, faulty = false
        var raised = 0, cleared = 0, quietTicks = 0
        for tick in UInt64(0)..<200_000 {
            // Commands held for a while, sometimes a flash; the lamps follow, or fail for a while.
            if holdCommand == 0 {
                command = OutputSet(bits: UInt32(truncatingIfNeeded: rng.next()) & OutputSet(QuietLampTests.roles).bits)
                holdCommand = Int(rng.next() % 3 == 0 ? rng.next() % 60 : rng.next() % 2_000) + 1
            }
            if holdSense == 0 {
                faulty = rng.next() % 3 == 0
                if faulty { sense = OutputSet(bits: UInt32(truncatingIfNeeded: rng.next()) & OutputSet(QuietLampTests.roles).bits) }
                holdSense = Int(faulty ? rng.next() % 600 : rng.next() % 1_500) + 1
            }
            if !faulty { sense = command }  // healthy lamps follow their command
            holdCommand -= 1
            holdSense -= 1
            buffer.removeAll()
            if tick % 50_000 == 49_999 { m.reset(tick: tick, events: &buffer) }
            #expect(m.check(tick: tick, lit: command, sensed: sense, events: &buffer) == nil)
            raised += buffer.events.filter { $0.type == .lampFailure && $0.state == .raised }.count
            cleared += buffer.events.filter { $0.type == .lampFailure && $0.state == .cleared }.count
            let want = expectedQuiet(m)
            if m.state.quiet != want.quiet || m.state.quietLevels != want.levels {
                Issue.record("tick \(tick): quiet \(m.state.quiet) levels \(m.state.quietLevels), the watches say \(want.quiet) \(want.levels)")
                return
            }
            if want.quiet != 0 { quietTicks += 1 }
        }
        // The run must have exercised what the skip could get wrong: quiet spells, failures and repairs.
        #expect(quietTicks > 10_000)
        #expect(raised > 20)
        #expect(cleared > 20)
    }

    /// Persistence shorter and longer than the flash period: with the longer one the agreement is the last
    /// timer to run out, in the tick before the repair may be reported.
    @Test("a lamp that fails or is repaired after a quiet spell is found in time", arguments: [80, 150])
    func foundInTime(persistTicks: Int) {
        let persist = Ticks(persistTicks)
        var m = monitor(persist: persist)
        var buffer = EventBuffer(capacity: 16)
        var events: [(tick: UInt64, state: ConditionState?)] = []
        let lit = OutputSet([.studs])
        let failAt: UInt64 = 10_000, repairAt: UInt64 = 12_000
        for tick in UInt64(0)..<15_000 {
            let sense = tick >= failAt && tick < repairAt ? OutputSet() : lit
            buffer.removeAll()
            _ = m.check(tick: tick, lit: lit, sensed: sense, events: &buffer)
            events += buffer.events.filter { $0.type == .lampFailure }.map { ($0.tick, $0.state) }
            if tick == failAt - 1 { #expect(m.state.quiet == OutputSet(QuietLampTests.roles).bits) }  // lit or dark, all settled
        }
        let window = UInt64(flasher.periodTicks), wait = UInt64(persist.count)
        #expect(events.count == 2)
        guard events.count == 2 else { return }
        #expect(events[0].state == .raised)
        #expect(events[0].tick >= failAt + wait && events[0].tick <= failAt + window + wait + 1)
        #expect(events[1].state == .cleared)
        #expect(events[1].tick >= repairAt + wait && events[1].tick <= repairAt + wait + 1)
    }
}
