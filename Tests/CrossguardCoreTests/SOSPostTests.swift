import CrossguardCore
import Testing

func sosSite(_ settings: String = "") throws -> SiteConfig {
    try site("device_id = \"sos-1\"\nprofile = \"none\"\ntick = \"100ms\"\n[sos]\nack_timeout = \"10s\"\nstuck_after = \"5s\"\nself_test_every = \"1min\"\n" + settings)
}

func sosBoard(_ extra: [String] = []) throws -> BoardConfig {
    try board(boardText(inputs: ["sos.button"] + extra, outputs: ["sos.yellow", "sos.green", "sos.strobe"]))
}

/// Events as compact text: "tick type state alarm".
func described(_ events: [Event]) -> [String] {
    events.map { e in
        var text = "\(e.tick) \(e.type.name)" + (e.state.map { " \($0.name)" } ?? "")
        if e.alarmID != 0 { text += " #\(e.alarmID)" }
        if case .sosPressed(_, let presses) = e.detail { text += " x\(presses)" }
        return text
    }
}

@Suite("SOS post")
struct SOSPostTests {
    @Test func pressAcknowledgeClose() throws {
        var h = Harness(site: try sosSite(), board: try sosBoard())
        h.run(until: 10)
        #expect(h.last.lit == OutputSet())
        h.press(.sosButton)
        #expect(h.last.lit.contains(.sosYellow) && !h.last.lit.contains(.sosGreen))
        h.run(until: 20)
        h.press(.sosButton)                                   // joins the open alarm
        h.run(until: 30)
        h.step(Inputs(command: .acknowledgeAlarm(alarmID: 1)))
        #expect(h.lastOutcome == .accepted)
        #expect(h.last.lit == OutputSet([.sosYellow, .sosGreen]))  // EN 81-28: yellow stays, green on; strobe off
        h.step(Inputs(command: .acknowledgeAlarm(alarmID: nil)))   // redelivered: harmless, no second event
        #expect(h.lastOutcome == .accepted)
        h.step(Inputs(command: .closeAlarm(alarmID: 1)))
        #expect(h.last.lit == OutputSet())
        h.press(.sosButton)                                   // a new incident: a new alarm id
        #expect(described(h.events) == [
            "0 controller.started", "10 sos.alarm raised #1", "20 sos.pressed #1 x2", "30 sos.acknowledged #1",
            "32 sos.alarm cleared #1", "33 sos.alarm raised #2",
        ])
    }

    @Test func unansweredAlarmBlinksFastAndIsKept() throws {
        var h = Harness(site: try sosSite(), board: try sosBoard())
        h.run(until: 5)
        h.press(.sosButton)
        h.run(until: 105)
        #expect(h.controller.sos?.unanswered == false)
        h.step(Inputs())                                      // tick 105: 10 s after the press
        #expect(h.controller.sos?.unanswered == true)
        // 4 Hz is coarse at 100 ms ticks, but the light still alternates.
        var lit: [Bool] = []
        for _ in 0..<8 { lit.append(h.step(Inputs()).lit.contains(.sosYellow)) }
        #expect(lit.contains(true) && lit.contains(false))
        h.run(until: 1_000)
        #expect(h.controller.sos?.openAlarm == 1)             // never dropped, however long
        h.step(Inputs(command: .acknowledgeAlarm(alarmID: nil)))
        #expect(h.last.lit.contains(.sosYellow) && h.last.lit.contains(.sosGreen))
        #expect(described(h.events) == ["0 controller.started", "5 sos.alarm raised #1", "105 sos.unanswered raised #1", "600 selftest", "1000 sos.acknowledged #1", "1000 sos.unanswered cleared #1"])
    }

    @Test func wrongAlarmIdsAreRefusedWithTheReason() throws {
        var h = Harness(site: try sosSite(), board: try sosBoard())
        h.step(Inputs(command: .acknowledgeAlarm(alarmID: nil)))
        #expect(h.lastOutcome == .refused(.noOpenAlarm))
        h.press(.sosButton)
        h.step(Inputs(command: .closeAlarm(alarmID: 9)))
        #expect(h.lastOutcome == .refused(.unknownAlarm(requested: 9, open: 1)))
        #expect(CommandRefusal.unknownAlarm(requested: 9, open: 1).description == "alarm 9 is not open (the open alarm is 1)")
        #expect(h.controller.sos?.openAlarm == 1)
        h.step(Inputs(command: .setMode(.flash, revertAfterTicks: nil)))
        #expect(h.lastOutcome == .refused(.noCrossing))
        h.step(Inputs(command: .resetFault))
        #expect(h.lastOutcome == .refused(.nothingLatched))
    }

    @Test func stuckButtonRaisesOneFaultAndNoAlarmFlood() throws {
        var h = Harness(site: try sosSite(), board: try sosBoard())
        let held = InputSet([.sosButton])
        h.press(.sosButton)
        h.run(until: 300, held: held)                         // held 30 s
        h.step(Inputs(fell: held))
        #expect(described(h.events) == ["0 controller.started", "0 sos.alarm raised #1", "50 sos.button_stuck raised #1", "100 sos.unanswered raised #1", "300 sos.button_stuck cleared #1"])
    }

    @Test func buttonHeldAtPowerUpIsStuckNotAnAlarm() throws {
        var h = Harness(site: try sosSite(), board: try sosBoard())
        h.run(until: 60, held: InputSet([.sosButton]))
        #expect(described(h.events) == ["0 controller.started", "50 sos.button_stuck raised"])
    }

    @Test func longPressGuardsAgainstAccidentalTouches() throws {
        var h = Harness(site: try sosSite("long_press = \"1s\"\n"), board: try sosBoard())
        let held = InputSet([.sosButton])
        h.press(.sosButton)
        h.run(until: 5, held: held)
        h.step(Inputs(fell: held))                            // released after 0.5 s: nothing
        #expect(h.controller.sos?.openAlarm == 0)
        h.press(.sosButton)
        h.run(until: 15, held: held)
        #expect(h.controller.sos?.openAlarm == 0)
        h.step(Inputs(active: held))                          // tick 15: held 1 s since tick 6... not yet
        h.run(until: 17, held: held)
        #expect(h.controller.sos?.openAlarm == 1)
        #expect(h.events.filter { $0.type == .sosAlarm }.count == 1)
    }

    @Test func cabinetConditionsRaiseAndClear() throws {
        var h = Harness(site: try sosSite(), board: try sosBoard(["cabinet.door", "mains.ok", "battery.low"]))
        let mains = InputSet([.mainsOK])
        h.run(until: 10, held: mains)
        h.step(Inputs(active: InputSet([.mainsOK, .cabinetDoor])))
        h.run(until: 20, held: InputSet([.mainsOK, .cabinetDoor]))
        h.run(until: 30, held: InputSet())                   // door closed, mains lost
        h.run(until: 40, held: InputSet([.mainsOK, .batteryLow]))
        h.run(until: 600, held: mains)                       // a self-test report every minute
        #expect(described(h.events) == [
            "0 controller.started", "10 tamper raised", "20 tamper cleared", "20 mains.lost raised", "30 mains.lost cleared",
            "30 battery.low raised", "40 battery.low cleared", "600 selftest",
        ].dropLast())
        h.step(Inputs(active: mains))
        #expect(described(h.events).last == "600 selftest")
        #expect(h.events.last?.detail == .selfTest(openConditions: 0))
    }

    @Test func missingSupervisionLinesRaiseNothing() throws {
        var h = Harness(site: try sosSite(), board: try sosBoard())
        h.run(until: 100)                                    // no mains.ok line: not "mains lost"
        #expect(described(h.events) == ["0 controller.started"])
    }

    @Test func sequenceNumbersAreMonotonic() throws {
        var h = Harness(site: try sosSite(), board: try sosBoard())
        for _ in 0..<5 { h.press(.sosButton); h.run(until: h.controller.tick + 3) }
        #expect(h.events.map(\.seq) == Array(1...UInt64(h.events.count)))
    }
}
