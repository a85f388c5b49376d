import CrossguardCore
import CrossguardUplink
import Testing

/// An event of each type with the fields the core gives it (from the controllers' own emit calls).
let everyEventType: [Event] = EventType.allCases.map { type in
    var e: Event
    switch type {
    case .sosAlarm: e = Event(type, tick: 100, state: .raised, alarmID: 3, role: .sosButton, count: 1)
    case .sosPressed: e = Event(type, tick: 100, alarmID: 3, role: .sosButton, count: 2)
    case .sosAcknowledged: e = Event(type, tick: 100, alarmID: 3)
    case .sosUnanswered: e = Event(type, tick: 100, state: .raised, alarmID: 3)
    case .sosButtonStuck, .detectorStuck: e = Event(type, tick: 100, state: .raised, role: .sosButton)
    case .tamper: e = Event(type, tick: 100, state: .raised, role: .cabinetDoor)
    case .mainsLost: e = Event(type, tick: 100, state: .cleared, role: .mainsOK)
    case .batteryLow: e = Event(type, tick: 100, state: .raised, role: .batteryLow)
    case .detectorSuspect, .detectorIdle: e = Event(type, tick: 100, state: .raised, role: .pedCrossing)
    case .demandPlaced, .demandCancelled: e = Event(type, tick: 100, role: .pedButton)
    case .demandServed: e = Event(type, tick: 100, role: .pedButton, waitTicks: 1_234)
    case .modeChanged: e = Event(type, tick: 100, mode: .flash)
    case .selfTest: e = Event(type, tick: 100, count: 2)
    case .failSafe: e = Event(type, tick: 100, state: .raised, rule: .conflict, outputs: OutputSet([.vehicleGreen, .pedWalk]))
    case .lampFailure: e = Event(type, tick: 100, state: .raised, role: .lampVehicleRed, count: 1)
    case .detectorFault: e = Event(type, tick: 100, state: .raised, role: .pedKerb)
    case .beaconActivation: e = Event(type, tick: 100, state: .cleared, role: .pedButton, waitTicks: 900)
    case .lampTest: e = Event(type, tick: 100, count: 6, outputs: OutputSet([.vehicleAmber]))
    case .outboxDropped: e = Event(type, tick: 100, count: 1_200, extra: 3, seqs: 100...1_502)
    case .controllerStarted: e = Event(type, tick: 0, seqs: 54...4_096)
    case .outboxDamaged: e = Event(type, tick: 0, count: 160, seqs: 54...55)
    case .storageFault: e = Event(type, tick: 100, state: .raised, storage: .noSpace)
    case .uplinkRejected: e = Event(type, tick: 100, count: 2, extra: 1_000_000)
    }
    e.seq = 41
    return e
}

@Suite("What the device produces matches schemas/")
struct ProducedPayloadTests {
    @Test(arguments: everyEventType)
    func everyEventTypeMatchesTheEventSchema(event: Event) throws {
        let schema = try JSONSchemaSubset.load("event")
        let payload = UplinkPayload.event(event, device: "kz-ast-0001", unixMs: 1_795_255_200_123, tickMs: 10)
        #expect(schema.errors(in: payload) == [], "\(String(decoding: payload, as: UTF8.self))")
    }

    @Test func statusMatchesItsSchemaQuietAndBusy() throws {
        let schema = try JSONSchemaSubset.load("status")
        var report = StatusReport(profile: .signalized, regime: .kz)
        #expect(schema.errors(in: report.json(device: "d", firmware: "0.4.0", unixMs: 0, outbox: OutboxStatistics())) == [])
        report.phase = "pedestrianWalk"
        report.lit = OutputSet([.vehicleRed, .pedWalk])
        report.countdown = 12
        report.alarm = 4
        report.conditions = InputSet([.cabinetDoor, .mainsOK])
        report.latched = .conflict
        report.failedLamps = OutputSet([.vehicleRed])
        report.walkInhibited = true
        report.uptimeMs = 86_400_000
        report.ticks.count = 8_640_000
        var outbox = OutboxStatistics()
        outbox.records = 3
        let payload = report.json(device: "kz-ast-0001", firmware: "0.4.0", unixMs: 1_795_255_200_123, outbox: outbox)
        #expect(schema.errors(in: payload) == [], "\(String(decoding: payload, as: UTF8.self))")
    }

    @Test func everyReplyTheGateGivesMatchesTheResultSchema() throws {
        let schema = try JSONSchemaSubset.load("command-result")
        var gate = CommandGate(tickMs: 10)
        let now = RFC3339.parse("2026-11-21T10:00:00Z")!
        for payload in ["{", "{}", #"{"id":"x","type":"sos.ack"}"#, #"{"id":"y","issued_at":"2026-11-21T10:00:00Z","type":"nope"}"#,
                        #"{"id":"z","issued_at":"2026-11-21T10:00:00Z","type":"mode.set","mode":"up"}"#] {
            guard case .reply(let reply) = gate.admit(Array(payload.utf8), nowUnixMs: now) else {
                Issue.record("\(payload) was not refused")
                continue
            }
            #expect(schema.errors(in: reply) == [], "\(String(decoding: reply, as: UTF8.self))")
        }
        for (latch, broker) in [("ok", "mqtts://a.example:8883"), (nil, nil)] as [(String?, String?)] {
            let result = UplinkPayload.diagnostics(ticks: TickReport(), outbox: OutboxStatistics(), latch: latch, broker: broker, uptimeMs: 5_000)
            let diag = UplinkPayload.commandResult(id: "d", type: "diag.run", error: nil, result: result)
            #expect(schema.errors(in: diag) == [], "\(String(decoding: diag, as: UTF8.self))")
        }
    }
}
