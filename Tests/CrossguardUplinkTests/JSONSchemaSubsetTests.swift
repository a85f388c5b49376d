@testable import CrossguardTestSupport
import Foundation
import Testing

/// One payload, the schema it is held to (`schemas/<schema>.schema.json`, or a schema's own JSON text), and
/// exactly what the validator must say (nothing for a valid one).
struct SchemaCase: Sendable, CustomTestStringConvertible {
    var schema: String
    var json: String
    var errors: [String] = []

    var testDescription: String { "\(schema): \(json.prefix(90))" }
}

/// Payloads as the device sends them (events, status, replies) and as the centre sends them (commands).
let validPayloads: [SchemaCase] = [
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":1,"time":"2025-03-14T08:15:02.250Z","type":"controller.started","severity":"normal"}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":2,"time":"2025-03-14T08:15:02.250Z","type":"demand.placed","severity":"info","role":"ped.button"}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":3,"time":"2025-03-14T08:15:02.250Z","type":"demand.served","severity":"info","role":"ped.button","wait_ms":18230}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":4,"time":"2025-03-14T08:15:02.250Z","type":"mode.changed","severity":"normal","mode":"flash"}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":5,"time":"2025-03-14T08:15:02.250Z","type":"sos.alarm","severity":"critical","state":"raised","alarm":12,"role":"sos.button","presses":1}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":6,"time":"2025-03-14T08:15:02.250Z","type":"sos.pressed","severity":"info","alarm":12,"role":"sos.button","presses":2}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":7,"time":"2025-03-14T08:15:02.250Z","type":"sos.acknowledged","severity":"high","alarm":12}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":8,"time":"2025-03-14T08:15:02.250Z","type":"sos.alarm","severity":"critical","state":"cleared","alarm":12,"presses":2}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":9,"time":"2025-03-14T08:15:02.250Z","type":"tamper","severity":"high","state":"raised","role":"cabinet.door"}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":10,"time":"2025-03-14T08:15:02.250Z","type":"selftest","severity":"info","open_conditions":1,"ok":false}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":11,"time":"2025-03-14T08:15:02.250Z","type":"safety.failsafe","severity":"critical","state":"raised","rule":"conflict","outputs":["vehicle.green","ped.walk"]}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":12,"time":"2025-03-14T08:15:02.250Z","type":"lamp.failure","severity":"high","state":"raised","role":"lamp.vehicle.red"}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":13,"time":"2025-03-14T08:15:02.250Z","type":"beacon.active","severity":"info","state":"cleared","active_ms":14000}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":14,"time":"2025-03-14T08:15:02.250Z","type":"lamp.test","severity":"normal","lamps_checked":6,"failed":["vehicle.amber"]}"#),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":15,"time":"2025-03-14T08:15:02.250Z","type":"outbox.dropped","severity":"high","dropped_info":1200,"dropped_normal":3,"first_seq":100,"last_seq":1502}"#),
    SchemaCase(schema: "status", json: #"{"device":"kz-ala-0001","time":"2025-03-14T08:15:03.000Z","firmware":"0.4.0","profile":"signalized","regime":"kz","mode":"normal","phase":"pedestrianWalk","lit":["vehicle.red","ped.walk"],"countdown":null,"alarm":{"id":12,"acknowledged":false},"conditions":["cabinet.door"],"faults":{"latched":null,"failed_lamps":[],"walk_inhibited":false},"uptime_s":86400,"ticks":{"count":8640000,"overruns":0,"max_lateness_us":412,"lateness_us":{"p50":48,"p99":160,"p99_9":390},"hardware_errors":0,"queue_overflows":0},"outbox":{"records":3,"bytes":1290,"dropped_info":0,"dropped_normal":0},"storage":{"journal":"ok","since":null,"in_memory":0,"latch_persisted":true}}"#),
    SchemaCase(schema: "status", json: #"{"device":"sos-17","time":"2025-03-14T08:15:03.000Z","firmware":"0.4.0","profile":"none","regime":"kz","mode":"normal","phase":null,"lit":["sos.yellow"],"countdown":null,"alarm":null,"conditions":[],"faults":{"latched":"conflict","failed_lamps":["vehicle.red"],"walk_inhibited":true},"uptime_s":0,"ticks":{"count":0,"overruns":0,"max_lateness_us":0,"lateness_us":{"p50":48,"p99":160,"p99_9":390},"hardware_errors":0,"queue_overflows":0},"outbox":{"records":0,"bytes":0,"dropped_info":12,"dropped_normal":1},"storage":{"journal":"ok","since":null,"in_memory":0,"latch_persisted":true}}"#),
    SchemaCase(schema: "command", json: #"{"id":"c-1","type":"sos.ack","issued_at":"2025-03-14T08:15:10.120Z","alarm":12}"#),
    SchemaCase(schema: "command", json: #"{"id":"c-2","type":"sos.close","issued_at":"2025-03-14T08:15:10Z"}"#),
    SchemaCase(schema: "command", json: #"{"id":"c-3","type":"mode.set","issued_at":"2025-03-14T08:15:10.120Z","mode":"flash","revert_after_s":3600}"#),
    SchemaCase(schema: "command", json: #"{"id":"c-4","type":"mode.set","issued_at":"2025-03-14T08:15:10.123456789Z","mode":"normal"}"#),
    SchemaCase(schema: "command", json: #"{"id":"c-5","type":"fault.reset","issued_at":"2025-03-14T08:15:10.120Z"}"#),
    SchemaCase(schema: "command", json: #"{"id":"c-6","type":"lamp.test","issued_at":"2025-03-14T08:15:10.120Z"}"#),
    SchemaCase(schema: "command", json: #"{"id":"c-7","type":"diag.run","issued_at":"2025-03-14T08:15:10.120Z"}"#),
    SchemaCase(schema: "command-result", json: #"{"id":"c-1","type":"sos.ack","ok":true,"error":null}"#),
    SchemaCase(schema: "command-result", json: #"{"id":"c-8","type":"sos.close","ok":false,"error":"alarm 11 is not open (the open alarm is 12)"}"#),
    SchemaCase(schema: "command-result", json: #"{"id":null,"type":null,"ok":false,"error":"the command is not JSON"}"#),
    SchemaCase(schema: "command-result", json: #"{"id":"c-6","type":"lamp.test","ok":true,"error":null,"result":{"lamps_checked":6,"failed":["vehicle.amber"]}}"#),
    SchemaCase(schema: "command-result", json: #"{"id":"c-7","type":"diag.run","ok":true,"error":null,"result":{"ticks":{"count":100,"overruns":1,"max_lateness_us":950,"lateness_us":{"p50":48,"p99":160,"p99_9":390},"hardware_errors":0,"queue_overflows":0},"outbox":{"records":0,"bytes":0,"dropped_info":0,"dropped_normal":0},"latch":"ok","broker":"mqtts://broker-a.example:8883","uptime_s":3600}}"#),
]

/// Payloads each broken in one way, and the messages that must name it.
let invalidPayloads: [SchemaCase] = [
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":7,"time":"2025-03-14T08:15:02.250Z","type":"sos.acknowledged","severity":"high","alarm":"12"}"#,
               errors: [#"/alarm: expected integer, found string"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":true,"time":"2025-03-14T08:15:02.250Z","type":"controller.started","severity":"normal"}"#,
               errors: [#"/seq: expected integer, found boolean"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":1.5,"time":"2025-03-14T08:15:02.250Z","type":"controller.started","severity":"normal"}"#,
               errors: [#"/seq: expected integer, found number"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":10,"time":"2025-03-14T08:15:02.250Z","type":"selftest","severity":"info","open_conditions":0,"ok":1}"#,
               errors: [#"/ok: expected boolean, found integer"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","time":"2025-03-14T08:15:02.250Z","type":"controller.started","severity":"normal"}"#,
               errors: [#"/seq: is required but missing"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":1,"time":"2025-03-14T08:15:02.250Z","type":"controller.started","severity":"normal","colour":"red"}"#,
               errors: [#"/colour: is not allowed here"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":1,"time":"2025-03-14T08:15:02.250Z","type":"controller.started","severity":"urgent"}"#,
               errors: [#"/severity: "urgent" is not one of: "critical", "high", "normal", "info""#, #"/severity: must be "normal", found "urgent""#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":1,"time":"2025-03-14T08:15:02Z","type":"controller.started","severity":"normal"}"#,
               errors: [#"/time: "2025-03-14T08:15:02Z" does not match ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001\n","seq":1,"time":"2025-03-14T08:15:02.250Z","type":"controller.started","severity":"normal"}"#,
               errors: [#"/device: "kz-ala-0001\n" does not match ^[A-Za-z0-9_-]{1,64}$"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":0,"time":"2025-03-14T08:15:02.250Z","type":"controller.started","severity":"normal"}"#,
               errors: [#"/seq: 0 is less than the minimum 1"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":4,"time":"2025-03-14T08:15:02.250Z","type":"mode.changed","severity":"normal"}"#,
               errors: [#"/mode: is required but missing"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":5,"time":"2025-03-14T08:15:02.250Z","type":"sos.alarm","severity":"critical","role":"sos.button","presses":1}"#,
               errors: [#"/state: is required but missing"#, #"/alarm: is required but missing"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":5,"time":"2025-03-14T08:15:02.250Z","type":"sos.alarm","severity":"info","state":"raised","alarm":12,"presses":1}"#,
               errors: [#"/severity: must be "critical", found "info""#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":3,"time":"2025-03-14T08:15:02.250Z","type":"demand.served","severity":"info","role":"ped.button"}"#,
               errors: [#"/wait_ms: is required but missing"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":10,"time":"2025-03-14T08:15:02.250Z","type":"selftest","severity":"info"}"#,
               errors: [#"/open_conditions: is required but missing"#, #"/ok: is required but missing"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":14,"time":"2025-03-14T08:15:02.250Z","type":"lamp.test","severity":"normal","lamps_checked":6}"#,
               errors: [#"/failed: is required but missing"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":15,"time":"2025-03-14T08:15:02.250Z","type":"outbox.dropped","severity":"high","dropped_info":1200}"#,
               errors: [#"/dropped_normal: is required but missing"#, #"/first_seq: is required but missing"#, #"/last_seq: is required but missing"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":13,"time":"2025-03-14T08:15:02.250Z","type":"beacon.active","severity":"info","state":"cleared"}"#,
               errors: [#"/active_ms: is required but missing"#]),
    SchemaCase(schema: "event", json: #"{"device":"kz-ala-0001","seq":11,"time":"2025-03-14T08:15:02.250Z","type":"safety.failsafe","severity":"critical","state":"raised","rule":"conflict","outputs":["ped.walk","ped.walk"]}"#,
               errors: [#"/outputs: items 0 and 1 are equal"#]),
    SchemaCase(schema: "status", json: #"{"device":"kz-ala-0001","time":"2025-03-14T08:15:03.000Z","firmware":"0.4.0","profile":"signalized","regime":"kz","mode":"normal","phase":"pedestrianWalk","lit":["vehicle.red","ped.walk"],"countdown":null,"alarm":{"id":12,"acknowledged":false},"conditions":["cabinet.door"],"faults":{"latched":7,"failed_lamps":[],"walk_inhibited":false},"uptime_s":86400,"ticks":{"count":8640000,"overruns":0,"max_lateness_us":412,"lateness_us":{"p50":48,"p99":160,"p99_9":390},"hardware_errors":0,"queue_overflows":0},"outbox":{"records":3,"bytes":1290,"dropped_info":0,"dropped_normal":0},"storage":{"journal":"ok","since":null,"in_memory":0,"latch_persisted":true}}"#,
               errors: [#"/faults/latched: expected string or null, found integer"#]),
    SchemaCase(schema: "status", json: #"{"device":"kz-ala-0001","time":"2025-03-14T08:15:03.000Z","firmware":"0.4.0","profile":"signalized","regime":"kz","mode":"normal","phase":"pedestrianWalk","lit":["vehicle.red","ped.walk"],"countdown":null,"alarm":{"id":12,"acknowledged":false},"conditions":["cabinet.door"],"faults":{"latched":null,"failed_lamps":[],"walk_inhibited":false},"uptime_s":86400,"ticks":{"count":8640000,"max_lateness_us":412,"lateness_us":{"p50":48,"p99":160,"p99_9":390},"hardware_errors":0,"queue_overflows":0},"outbox":{"records":3,"bytes":1290,"dropped_info":0,"dropped_normal":0},"storage":{"journal":"ok","since":null,"in_memory":0,"latch_persisted":true}}"#,
               errors: [#"/ticks/overruns: is required but missing"#]),
    SchemaCase(schema: "status", json: #"{"device":"kz-ala-0001","time":"2025-03-14T08:15:03.000Z","firmware":"0.4.0","profile":"signalized","regime":"kz","mode":"normal","phase":"pedestrianWalk","lit":["vehicle.red","ped.walk"],"countdown":null,"alarm":{"id":12,"acknowledged":false,"since":"08:15"},"conditions":["cabinet.door"],"faults":{"latched":null,"failed_lamps":[],"walk_inhibited":false},"uptime_s":86400,"ticks":{"count":8640000,"overruns":0,"max_lateness_us":412,"lateness_us":{"p50":48,"p99":160,"p99_9":390},"hardware_errors":0,"queue_overflows":0},"outbox":{"records":3,"bytes":1290,"dropped_info":0,"dropped_normal":0},"storage":{"journal":"ok","since":null,"in_memory":0,"latch_persisted":true}}"#,
               errors: [#"/alarm/since: is not allowed here"#]),
    SchemaCase(schema: "status", json: #"{"device":"kz-ala-0001","time":"2025-03-14T08:15:03.000Z","firmware":"0.4.0","profile":"pelican","regime":"kz","mode":"normal","phase":"pedestrianWalk","lit":["vehicle.red","ped.walk"],"countdown":null,"alarm":{"id":12,"acknowledged":false},"conditions":["cabinet.door"],"faults":{"latched":null,"failed_lamps":[],"walk_inhibited":false},"uptime_s":86400,"ticks":{"count":8640000,"overruns":0,"max_lateness_us":412,"lateness_us":{"p50":48,"p99":160,"p99_9":390},"hardware_errors":0,"queue_overflows":0},"outbox":{"records":3,"bytes":1290,"dropped_info":0,"dropped_normal":0},"storage":{"journal":"ok","since":null,"in_memory":0,"latch_persisted":true}}"#,
               errors: [#"/profile: "pelican" is not one of: "signalized", "beacon", "hybrid-beacon", "none""#]),
    SchemaCase(schema: "status", json: #"{"device":"kz-ala-0001","time":"2025-03-14T08:15:03.000Z","firmware":"0.4.0","profile":"signalized","regime":"kz","mode":"normal","phase":"pedestrianWalk","lit":["vehicle.red","ped.walk"],"countdown":-1,"alarm":{"id":12,"acknowledged":false},"conditions":["cabinet.door"],"faults":{"latched":null,"failed_lamps":[],"walk_inhibited":false},"uptime_s":86400,"ticks":{"count":8640000,"overruns":0,"max_lateness_us":412,"lateness_us":{"p50":48,"p99":160,"p99_9":390},"hardware_errors":0,"queue_overflows":0},"outbox":{"records":3,"bytes":1290,"dropped_info":0,"dropped_normal":0},"storage":{"journal":"ok","since":null,"in_memory":0,"latch_persisted":true}}"#,
               errors: [#"/countdown: -1 is less than the minimum 0"#]),
    SchemaCase(schema: "status", json: #"{"device":"kz-ala-0001","time":"2025-03-14T08:15:03.000Z","firmware":"0.4.0","profile":"signalized","regime":"kz","mode":"normal","phase":"pedestrianWalk","lit":["vehicle.red","ped.walk"],"alarm":{"id":12,"acknowledged":false},"conditions":["cabinet.door"],"faults":{"latched":null,"failed_lamps":[],"walk_inhibited":false},"uptime_s":86400,"ticks":{"count":8640000,"overruns":0,"max_lateness_us":412,"lateness_us":{"p50":48,"p99":160,"p99_9":390},"hardware_errors":0,"queue_overflows":0},"outbox":{"records":3,"bytes":1290,"dropped_info":0,"dropped_normal":0},"storage":{"journal":"ok","since":null,"in_memory":0,"latch_persisted":true}}"#,
               errors: [#"/countdown: is required but missing"#]),
    SchemaCase(schema: "command", json: #"{"id":"c-1","type":"sos.ack","issued_at":"2025-03-14T14:15:10+06:00","alarm":12}"#,
               errors: [#"/issued_at: "2025-03-14T14:15:10+06:00" does not match ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$"#]),
    SchemaCase(schema: "command", json: #"{"type":"sos.ack","issued_at":"2025-03-14T08:15:10.120Z","alarm":12}"#,
               errors: [#"/id: is required but missing"#]),
    SchemaCase(schema: "command", json: #"{"id":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","type":"sos.ack","issued_at":"2025-03-14T08:15:10.120Z","alarm":12}"#,
               errors: [#"/id: 65 characters, more than the maximum 64"#]),
    SchemaCase(schema: "command", json: #"{"id":"c-1","type":"sos.reset","issued_at":"2025-03-14T08:15:10.120Z","alarm":12}"#,
               errors: [#"/type: "sos.reset" is not one of: "sos.ack", "sos.close", "mode.set", "fault.reset", "lamp.test", "diag.run""#]),
    SchemaCase(schema: "command", json: #"{"id":"c-1","type":"sos.ack","issued_at":"2025-03-14T08:15:10.120Z","alarm":0}"#,
               errors: [#"/alarm: 0 is less than the minimum 1"#]),
    SchemaCase(schema: "command", json: #"{"id":"c-1","type":"sos.ack","issued_at":"2025-03-14T08:15:10.120Z","alarm":12,"mode":"flash"}"#,
               errors: [#"/mode: is not allowed here"#]),
    SchemaCase(schema: "command", json: #"{"id":"c-3","type":"mode.set","issued_at":"2025-03-14T08:15:10.120Z","revert_after_s":3600}"#,
               errors: [#"/mode: is required but missing"#]),
    SchemaCase(schema: "command", json: #"{"id":"c-3","type":"mode.set","issued_at":"2025-03-14T08:15:10.120Z","mode":"flash","revert_after_s":0}"#,
               errors: [#"/revert_after_s: 0 is less than the minimum 1"#]),
    SchemaCase(schema: "command", json: #"{"id":"c-5","type":"fault.reset","issued_at":"2025-03-14T08:15:10.120Z","alarm":12}"#,
               errors: [#"/alarm: is not allowed here"#]),
    SchemaCase(schema: "command-result", json: #"{"id":"c-1","type":"sos.ack","ok":true,"error":"done"}"#,
               errors: [#"/error: expected null, found string"#]),
    SchemaCase(schema: "command-result", json: #"{"id":"c-1","type":"sos.ack","ok":false,"error":null}"#,
               errors: [#"/error: expected string, found null"#]),
    SchemaCase(schema: "command-result", json: #"{"id":"c-1","type":"sos.ack","ok":false,"error":""}"#,
               errors: [#"/error: 0 characters, fewer than the minimum 1"#]),
    SchemaCase(schema: "command-result", json: #"{"id":"c-1","type":"sos.ack","ok":true}"#,
               errors: [#"/error: is required but missing"#]),
    SchemaCase(schema: "command-result", json: #"{"id":"c-6","type":"lamp.test","ok":true,"error":null,"result":{"lamps_checked":6,"failed":[],"colour":"red"}}"#,
               errors: [#"/result/colour: is not allowed here"#]),
    SchemaCase(schema: "command-result", json: #"{"id":"c-7","type":"diag.run","ok":true,"error":null,"result":{"ticks":{"count":100,"overruns":1,"max_lateness_us":950,"lateness_us":{"p50":48,"p99":160,"p99_9":390},"hardware_errors":0,"queue_overflows":"none"},"outbox":{"records":0,"bytes":0,"dropped_info":0,"dropped_normal":0},"latch":"ok","broker":"mqtts://broker-a.example:8883","uptime_s":3600}}"#,
               errors: [#"/result/ticks/queue_overflows: expected integer, found string"#]),
]

/// The severity of each event type (docs/uplink.md, "Severity"), as the core's `EventType.severity` assigns it
/// for the types it emits.
let eventSeverities: [String: String] = [
    "sos.alarm": "critical", "safety.failsafe": "critical",
    "sos.unanswered": "high", "sos.button_stuck": "high", "sos.acknowledged": "high", "tamper": "high",
    "mains.lost": "high", "lamp.failure": "high", "outbox.dropped": "high", "detector.fault": "high",
    "outbox.damaged": "high", "uplink.rejected": "high", "storage.fault": "critical",
    "controller.started": "normal", "mode.changed": "normal", "detector.suspect": "normal", "battery.low": "normal",
    "detector.stuck": "normal", "detector.idle": "normal", "lamp.test": "normal",
    "demand.placed": "info", "demand.cancelled": "info", "demand.served": "info", "sos.pressed": "info",
    "selftest": "info", "beacon.active": "info",
]

/// Small schemas (their JSON text) against values that show how each keyword behaves.
let keywordCases: [SchemaCase] = [
    SchemaCase(schema: #"{"type": "integer"}"#, json: #"true"#,
               errors: [#"(root): expected integer, found boolean"#]),
    SchemaCase(schema: #"{"type": "boolean"}"#, json: #"1"#,
               errors: [#"(root): expected boolean, found integer"#]),
    SchemaCase(schema: #"{"type": "boolean"}"#, json: #"false"#),
    SchemaCase(schema: #"{"type": "integer"}"#, json: #"1.0"#),
    SchemaCase(schema: #"{"type": "integer"}"#, json: #"1.5"#,
               errors: [#"(root): expected integer, found number"#]),
    SchemaCase(schema: #"{"type": "number"}"#, json: #"7"#),
    SchemaCase(schema: #"{"type": ["string", "null"], "minLength": 1}"#, json: #"null"#),
    SchemaCase(schema: #"{"const": 1}"#, json: #"true"#,
               errors: [#"(root): must be 1, found true"#]),
    SchemaCase(schema: #"{"enum": [true, null]}"#, json: #"0"#,
               errors: [#"(root): 0 is not one of: true, null"#]),
    SchemaCase(schema: #"{"enum": [true, null]}"#, json: #"null"#),
    SchemaCase(schema: #"{"pattern": "b"}"#, json: #""abc""#),
    SchemaCase(schema: #"{"pattern": "^b"}"#, json: #""abc""#,
               errors: [#"(root): "abc" does not match ^b"#]),
    SchemaCase(schema: #"{"pattern": "^a$"}"#, json: #""a\n""#,
               errors: [#"(root): "a\n" does not match ^a$"#]),
    SchemaCase(schema: #"{"maxLength": 1}"#, json: #""\ud83d\ude00""#),
    SchemaCase(schema: #"{"minLength": 2}"#, json: #""\ud83d\ude00""#,
               errors: [#"(root): 1 character, fewer than the minimum 2"#]),
    SchemaCase(schema: #"{"minimum": 5, "pattern": "^x", "required": ["a"]}"#, json: #"[1]"#),
    SchemaCase(schema: #"{"items": {"type": "string"}, "uniqueItems": true, "maxItems": 2}"#, json: #"["a", 1, "a"]"#,
               errors: [#"(root): 3 items, more than the maximum 2"#, #"(root): items 0 and 2 are equal"#, #"/1: expected string, found integer"#]),
    SchemaCase(schema: #"{"properties": {"a/b": {"type": "null"}}}"#, json: #"{"a/b": 0}"#,
               errors: [#"/a~1b: expected null, found integer"#]),
    SchemaCase(schema: #"{"if": {"properties": {"k": {"const": 1}}, "required": ["k"]}, "then": {"required": ["v"]}}"#, json: #"{"k": 2}"#),
    SchemaCase(schema: #"{"if": {"properties": {"k": {"const": 1}}, "required": ["k"]}, "then": {"required": ["v"]}}"#, json: #"{"k": 1}"#,
               errors: [#"/v: is required but missing"#]),
    SchemaCase(schema: #"{"allOf": [{"required": ["a"]}, {"required": ["a", "b"]}]}"#, json: #"{}"#,
               errors: [#"/a: is required but missing"#, #"/b: is required but missing"#]),
    SchemaCase(schema: #"{"type": "object", "properties": {"n": {"type": "integer"}}}"#, json: #"[]"#,
               errors: [#"(root): expected object, found array"#]),
]

/// A schema the validator must refuse to load, and how its message begins.
struct RefusedSchema: Sendable, CustomTestStringConvertible {
    var text: String
    var message: String

    var testDescription: String { text }
}

/// Schemas that use a keyword, or a form of one, outside the subset.
let refusedSchemas: [RefusedSchema] = [
    RefusedSchema(text: #"{"type": "string", "format": "date-time"}"#, message: "schema: /format: unknown keyword"),
    RefusedSchema(text: #"{"properties": {"a": {"minProperties": 1}}}"#, message: "schema: /properties/a/minProperties: unknown keyword"),
    RefusedSchema(text: #"{"if": {"required": ["a"]}, "then": {}, "else": {"required": ["b"]}}"#, message: "schema: /else: unknown keyword"),
    RefusedSchema(text: #"{"additionalProperties": {"type": "string"}}"#, message: "schema: /additionalProperties: must be true or false"),
    RefusedSchema(text: #"{"items": [{"type": "string"}]}"#, message: "schema: /items: a schema must be a JSON object"),
    RefusedSchema(text: #"{"if": {"required": ["a"]}}"#, message: #"schema: /if: needs a "then""#),
    RefusedSchema(text: #"{"type": "text"}"#, message: #"schema: /type: "text" is not a type"#),
    RefusedSchema(text: #"{"type": "integer", "minimum": "1"}"#, message: "schema: /minimum: must be a number"),
    RefusedSchema(text: #"{"pattern": "(unclosed"}"#, message: #"schema: /pattern: "(unclosed" is not a regular expression"#),
    RefusedSchema(text: #"{"properties": {"a": {}}, "required": ["b"], "additionalProperties": false}"#, message: #"schema: /required: "b" is required but is not among the properties"#),
    RefusedSchema(text: #"true"#, message: "schema: (root): a schema must be a JSON object"),
]

let publishedSchemaNames = ["event", "status", "command", "command-result", "diag"]

@Suite("JSON Schema subset: the validator and the uplink payload schemas")
struct JSONSchemaSubsetTests {
    typealias Value = JSONSchemaSubset.Value

    func fileValue(_ name: String) throws -> Value {
        let url = JSONSchemaSubset.schemasFolder.appendingPathComponent(name + ".schema.json")
        return try JSONSchemaSubset.parse([UInt8](Data(contentsOf: url)))
    }

    @Test("each schema loads, and its own examples are valid", arguments: publishedSchemaNames)
    func schemaLoads(name: String) throws {
        let schema = try JSONSchemaSubset.load(name)
        #expect(!schema.examples.isEmpty)
        for example in schema.examples {
            #expect(schema.errors(in: example) == [])
        }
    }

    @Test func aReferenceToAnotherSchemaHoldsTheValueToIt() throws {
        let schema = try JSONSchemaSubset.load("command-result")
        let reply = #"{"id":"d1","type":"diag.run","ok":true,"error":null,"result":{"uptime_s":1,"diag":%@}}"#
        let good = #"{"board":"b","site":"s","simulated":true,"result":"pass","counts":{"pass":1,"warn":0,"fail":0,"skip":0},"checks":[{"id":"config","status":"pass","detail":"ok","remedy":null}]}"#
        #expect(schema.errors(in: Array(reply.replacingOccurrences(of: "%@", with: good).utf8)) == [])
        let bad = good.replacingOccurrences(of: #""status":"pass""#, with: #""status":"fine""#)
        #expect(schema.errors(in: Array(reply.replacingOccurrences(of: "%@", with: bad).utf8)) != [])
    }

    @Test("each schema names itself, closes every object and describes every property", arguments: publishedSchemaNames)
    func schemaIsClosedAndDescribed(name: String) throws {
        let file = try fileValue(name)
        guard case .object(let top) = file else {
            Issue.record("\(name).schema.json is not an object")
            return
        }
        #expect(top["$schema"] == Value.string("https://json-schema.org/draft/2020-12/schema"))
        #expect(top["$id"] == Value.string("https://crossguard.example/schemas/\(name).schema.json"))
        #expect(Self.isText(top["title"]) && Self.isText(top["description"]))
        var problems: [String] = []
        Self.audit(file, at: "", into: &problems)
        #expect(problems == [])
    }

    /// Walks the tree of properties and items (not the `if`/`then` rules, whose small schemas only select):
    /// every object schema must say `additionalProperties: false`, every property must have a description.
    static func audit(_ schema: Value, at path: String, into problems: inout [String]) {
        guard case .object(let members) = schema else { return }
        var types: [Value] = []
        if let declared = members["type"] {
            if case .array(let list) = declared { types = list } else { types = [declared] }
        }
        if types.contains(Value.string("object")) && members["additionalProperties"] != Value.bool(false) {
            problems.append("\(path): an object schema without additionalProperties false")
        }
        if case .object(let properties)? = members["properties"] {
            for (name, property) in properties.sorted(by: { $0.key < $1.key }) {
                let here = "\(path)/properties/\(name)"
                if case .object(let fields) = property, isText(fields["description"]) {
                    audit(property, at: here, into: &problems)
                } else {
                    problems.append("\(here): no description")
                }
            }
        }
        if let items = members["items"] {
            audit(items, at: "\(path)/items", into: &problems)
        }
    }

    static func isText(_ value: Value?) -> Bool {
        if case .string(let text)? = value { return !text.isEmpty }
        return false
    }

    @Test("good payloads pass", arguments: validPayloads)
    func validPayload(_ payload: SchemaCase) throws {
        #expect(try JSONSchemaSubset.load(payload.schema).errors(in: Array(payload.json.utf8)) == payload.errors)
    }

    @Test("bad payloads are caught, with the path of what is wrong", arguments: invalidPayloads)
    func invalidPayload(_ payload: SchemaCase) throws {
        #expect(try JSONSchemaSubset.load(payload.schema).errors(in: Array(payload.json.utf8)) == payload.errors)
    }

    @Test func everyEventTypeHasExactlyItsSeverity() throws {
        let schema = try JSONSchemaSubset.load("event")
        let file = try fileValue("event")
        guard case .object(let top) = file, case .object(let properties)? = top["properties"],
              case .object(let typeField)? = properties["type"], case .array(let listed)? = typeField["enum"] else {
            Issue.record("event.schema.json has no enum of types")
            return
        }
        let names = listed.compactMap { value -> String? in
            if case .string(let name) = value { return name }
            return nil
        }
        #expect(names.sorted() == eventSeverities.keys.sorted())
        for (eventType, severity) in eventSeverities.sorted(by: { $0.key < $1.key }) {
            for candidate in ["critical", "high", "normal", "info"] {
                let json = #"{"device":"d","seq":1,"time":"2025-03-14T08:15:02.250Z","type":"\#(eventType)","severity":"\#(candidate)"}"#
                let refused = schema.errors(in: Array(json.utf8)).contains { $0.hasPrefix("/severity:") }
                #expect(refused == (candidate != severity), "\(eventType) with severity \(candidate)")
            }
        }
    }

    @Test("the validator follows JSON Schema: booleans are not numbers, 1.0 is an integer, patterns search, $ ends the text, lengths count code points",
          arguments: keywordCases)
    func keywordSemantics(_ rule: SchemaCase) throws {
        let validator = try JSONSchemaSubset(schemaText: Array(rule.schema.utf8))
        #expect(validator.errors(in: Array(rule.json.utf8)) == rule.errors)
    }

    @Test("a schema using anything outside the subset does not load", arguments: refusedSchemas)
    func refusedSchema(_ refused: RefusedSchema) {
        do {
            _ = try JSONSchemaSubset(schemaText: Array(refused.text.utf8))
            Issue.record("loaded: \(refused.text)")
        } catch let error as JSONSchemaSubset.SchemaError {
            #expect(error.description.hasPrefix(refused.message), "\(error.description)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func textThatIsNotJSONIsOneError() throws {
        let errors = try JSONSchemaSubset.load("command").errors(in: Array(#"{"id": "c-1", "#.utf8))
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("(root): not JSON") == true)
    }
}
