@testable import CrossguardTestSupport
import CrossguardCore
import CrossguardUplink
import Testing

/// Every shape each event type takes: raised and cleared, with and without its optional values. The
/// switch is over the types, so a new type does not compile until it has its examples here.
func examples(of type: EventType) -> [EventDetail] {
    switch type {
    case .controllerStarted: [.controllerStarted(skipped: nil), .controllerStarted(skipped: 54...4_096)]
    case .demandPlaced: [.demandPlaced(by: .pedButton), .demandPlaced(by: .pedKerb)]
    case .demandCancelled: [.demandCancelled(by: .pedKerb)]
    case .demandServed: [.demandServed(by: .pedButton, wait: 1_234)]
    case .modeChanged: [.modeChanged(to: .flash), .modeChanged(to: .normal)]
    case .detectorSuspect: [.detectorSuspect(.raised), .detectorSuspect(.cleared)]
    case .sosAlarm: [.sosAlarm(.raised, alarm: 3, presses: 1), .sosAlarm(.cleared, alarm: 3, presses: 4)]
    case .sosPressed: [.sosPressed(alarm: 3, presses: 2)]
    case .sosAcknowledged: [.sosAcknowledged(alarm: 3)]
    case .sosUnanswered: [.sosUnanswered(.raised, alarm: 3), .sosUnanswered(.cleared, alarm: 3)]
    case .sosButtonStuck: [.sosButtonStuck(.raised, alarm: 3), .sosButtonStuck(.cleared, alarm: 0)]
    case .tamper: [.tamper(.raised), .tamper(.cleared)]
    case .mainsLost: [.mainsLost(.raised), .mainsLost(.cleared)]
    case .batteryLow: [.batteryLow(.raised)]
    case .selfTest: [.selfTest(openConditions: 0), .selfTest(openConditions: 2)]
    case .failSafe: [.failSafe(.raised, rule: .conflict, outputs: OutputSet([.vehicleGreen, .pedWalk])),
                     .failSafe(.cleared, rule: .latchUnreadable, outputs: OutputSet())]
    case .lampFailure: [.lampFailure(.raised, lamp: .lampVehicleRed), .lampFailure(.cleared, lamp: .lampBeaconLeft)]
    case .beaconActivation: [.beaconActivation(.began(by: .pedButton)), .beaconActivation(.ended(after: 900))]
    case .detectorStuck: [.detectorStuck(.raised), .detectorStuck(.cleared)]
    case .detectorIdle: [.detectorIdle(.raised), .detectorIdle(.cleared)]
    case .lampTest: [.lampTest(checked: 6, failed: OutputSet([.vehicleAmber])), .lampTest(checked: 6, failed: OutputSet())]
    case .outboxDropped: [.outboxDropped(info: 1_200, normal: 3, seqs: 100...1_502)]
    case .detectorFault: [.detectorFault(.raised, sensor: .pedKerb), .detectorFault(.cleared, sensor: .pedCrossing)]
    case .outboxDamaged: [.outboxDamaged(bytes: 160, lost: 54...55), .outboxDamaged(bytes: 12, lost: nil)]
    case .storageFault: StorageFaultKind.allCases.map { .storageFault($0) } + [.storageFault(nil)]
    case .uplinkRejected: [.uplinkRejected(commands: 2, largestBytes: 1_000_000)]
    }
}

/// Every example of every type, as the events the uplink publishes.
let everyEventShape: [Event] = EventType.allCases.flatMap { type in
    examples(of: type).map { detail in
        var e = Event(detail, tick: 100)
        e.seq = 41
        return e
    }
}

/// The keys of a flat event object, in order.
func keys(ofEvent json: String) -> [String] {
    json.matches(of: /[{,]"([a-z_]+)":/).map { String($0.output.1) }
}

/// The object without one key and its value (a number, a string, a boolean or an array of strings).
func removing(_ key: String, from json: String) -> String {
    let pattern = try! Regex(#"([{,])"\#(key)":(\[[^\]]*\]|"[^"]*"|[^,}]*),?"#)
    return json.replacing(pattern) { match in match.output[1].substring.map(String.init) ?? "" }
        .replacing(",}", with: "}")
}

@Suite("What the device produces matches schemas/")
struct ProducedPayloadTests {
    @Test("every shape of every event type matches the event schema", arguments: everyEventShape)
    func everyEventShapeMatchesTheEventSchema(event: Event) throws {
        let schema = try JSONSchemaSubset.load("event")
        let payload = UplinkPayload.event(event, device: "kz-ast-0001", unixMs: 1_795_255_200_123, tickMs: 10)
        #expect(schema.errors(in: payload) == [], "\(String(decoding: payload, as: UTF8.self))")
    }

    /// The schema asks for exactly what the writer always gives a type: a key every example of the type
    /// carries is required, so a consumer may rely on it, and the schema cannot promise more than is sent.
    @Test("the schema requires every key a type always carries", arguments: EventType.allCases)
    func theSchemaRequiresWhatATypeAlwaysCarries(type: EventType) throws {
        let schema = try JSONSchemaSubset.load("event")
        let payloads = examples(of: type).map { detail in
            var e = Event(detail, tick: 100)
            e.seq = 41
            return String(decoding: UplinkPayload.event(e, device: "kz-ast-0001", unixMs: 1_795_255_200_123, tickMs: 10), as: UTF8.self)
        }
        #expect(examples(of: type).allSatisfy { $0.type == type })
        var always = Set(keys(ofEvent: payloads[0]))
        for p in payloads.dropFirst() { always.formIntersection(keys(ofEvent: p)) }
        for payload in payloads {
            for key in always.sorted() {
                let without = removing(key, from: payload)
                #expect(keys(ofEvent: without).count == keys(ofEvent: payload).count - 1, "removing \(key) from \(payload)")
                #expect(!schema.errors(in: Array(without.utf8)).isEmpty, "\(type.name) without \(key) is accepted: \(without)")
            }
        }
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
