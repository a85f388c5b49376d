import CrossguardUplink
import Testing

/// The packets among some actions.
func sent(_ actions: [MQTTSessionAction]) -> [MQTTPacket] {
    actions.compactMap { if case .send(let p) = $0 { p } else { nil } }
}

/// The PUBLISH packets among some actions.
func publishes(_ actions: [MQTTSessionAction]) -> [MQTTPublish] {
    sent(actions).compactMap { if case .publish(let p) = $0 { p } else { nil } }
}

func message(_ id: UInt64) -> OutboundMessage {
    OutboundMessage(id: id, topic: "crossguard/dev-1/events", payload: Array("{\"seq\":\(id)}".utf8))
}

@Suite("MQTT session (pure state machine)")
struct MQTTSessionTests {
    var settings: MQTTSessionSettings {
        var s = MQTTSessionSettings(deviceID: "dev-1")
        s.brokerCount = 2
        return s
    }

    /// A session brought online at `now`.
    func online(_ s: inout MQTTSession, now: UInt64 = 0) -> [MQTTSessionAction] {
        _ = s.timer(nowMs: now)
        _ = s.opened(nowMs: now)
        return s.received(.connack(sessionPresent: false, returnCode: 0), nowMs: now)
    }

    @Test func connectsWithWillThenAnnouncesAndSubscribes() {
        var s = MQTTSession(settings: settings, nowMs: 0, seed: 1)
        #expect(s.timer(nowMs: 0) == [.open(brokerIndex: 0)])
        let connect = sent(s.opened(nowMs: 5))
        #expect(connect == [.connect(MQTTConnect(clientID: "dev-1", keepAliveSeconds: 30, cleanSession: false,
                                                  will: MQTTWill(topic: "crossguard/dev-1/presence", message: Array("offline".utf8), qos: 1, retain: true)))])
        let after = sent(s.received(.connack(sessionPresent: false, returnCode: 0), nowMs: 10))
        #expect(after == [
            .publish(MQTTPublish(topic: "crossguard/dev-1/presence", payload: Array("online".utf8), qos: 0, retain: true)),
            .subscribe(packetID: 1, subscriptions: [MQTTSubscription(topicFilter: "crossguard/dev-1/cmd", qos: 1)]),
        ])
        #expect(s.state == .online)
    }

    @Test func theWindowHoldsSixteenAndEachAckLetsOneMoreGoInOrder() {
        var s = MQTTSession(settings: settings, nowMs: 0, seed: 1)
        _ = online(&s)
        var out: [MQTTPublish] = []
        for id in 1...20 { out += publishes(s.enqueue(message(UInt64(id)), nowMs: 1)) }
        #expect(out.count == 16)
        #expect(s.pending.count == 4)
        let first = out[0]
        let acked = s.received(.puback(packetID: first.packetID!), nowMs: 2)
        #expect(acked.first == .delivered(id: 1))
        #expect(publishes(acked).map(\.payload) == [message(17).payload])
        #expect(Set(out.map { $0.packetID! }).count == 16)  // distinct ids
        #expect(s.received(.puback(packetID: first.packetID!), nowMs: 3) == [])  // a duplicate ack changes nothing
    }

    @Test func unacknowledgedMessagesGoAgainWithDupAndTheirIdsAfterAReconnect() {
        var s = MQTTSession(settings: settings, nowMs: 0, seed: 1)
        _ = online(&s)
        let out = (1...3).flatMap { publishes(s.enqueue(message(UInt64($0)), nowMs: 1)) }
        _ = s.received(.puback(packetID: out[0].packetID!), nowMs: 2)
        _ = s.enqueue(message(4), nowMs: 2)
        let drop = s.closed(nowMs: 3, reason: "connection reset")
        guard case .wakeAt(let at) = drop.last else { Issue.record("no wake-up"); return }
        #expect(at >= 3 && at <= 3 + 1_000)
        _ = s.enqueue(message(5), nowMs: 4)  // while offline: kept
        #expect(s.timer(nowMs: at) == [.open(brokerIndex: 1)])  // the next broker
        _ = s.opened(nowMs: at)
        let again = publishes(s.received(.connack(sessionPresent: true, returnCode: 0), nowMs: at))
        #expect(again.count == 5)  // presence, then 2, 3, 4 again with DUP, then 5 new
        #expect(again[1].dup && again[2].dup && again[3].dup && !again[4].dup)
        #expect(again[1...3].map(\.packetID) == out[1...2].map(\.packetID) + [again[3].packetID])
        #expect(again[1...4].map(\.payload) == [2, 3, 4, 5].map { message($0).payload })
    }

    @Test func keepAlivePingsAndASilentBrokerIsDropped() {
        var s = MQTTSession(settings: settings, nowMs: 0, seed: 1)
        _ = online(&s)
        #expect(s.timer(nowMs: 10_000) == [.wakeAt(ms: 30_000)])
        #expect(sent(s.timer(nowMs: 30_000)) == [.pingreq])
        _ = s.received(.pingresp, nowMs: 30_100)
        #expect(sent(s.timer(nowMs: 60_000)) == [.pingreq])
        let gone = s.timer(nowMs: 70_000)
        #expect(gone.first == .close(reason: "no PINGRESP within 10000 ms"))
        guard case .waiting = s.state else { Issue.record("not waiting: \(s.state)"); return }
    }

    @Test func backoffIsFullJitterUpToAMinuteAndResetsOnSuccess() {
        var s = MQTTSession(settings: settings, nowMs: 0, seed: 42)
        var now: UInt64 = 0
        var delays: [UInt64] = []
        for attempt in 0..<12 {
            _ = s.timer(nowMs: now)
            let actions = s.closed(nowMs: now, reason: "refused")
            guard case .wakeAt(let at) = actions.last else { Issue.record("no wake-up"); return }
            let ceiling = UInt64(min(60_000, 1_000 << attempt))
            #expect(at - now <= ceiling)
            delays.append(at - now)
            now = at
        }
        #expect(delays.suffix(6).contains { $0 < 30_000 })  // jitter, not a fixed 60 s
        #expect(delays.max()! > 20_000)                      // it does grow
        _ = s.timer(nowMs: now)
        _ = s.opened(nowMs: now)
        _ = s.received(.connack(sessionPresent: false, returnCode: 0), nowMs: now)
        // CONNACK alone resets nothing: the session must stay up for `healthyAfterMs` first.
        #expect(s.attempts == 12)
        let actions = s.closed(nowMs: now + 30_000, reason: "gone after a healthy half minute")
        #expect(s.attempts == 1)  // this loss is the first failure of a new series
        guard case .wakeAt(let at) = actions.last else { Issue.record("no wake-up"); return }
        #expect(at - (now + 30_000) <= 1_000)
    }

    /// A broker (or a poison message) that breaks every session right after CONNACK must not get a
    /// reconnect every second: each such session is a failed attempt, and the backoff keeps growing.
    @Test func aSessionThatDiesRightAfterConnackIsRetriedAtTheBackedOffPace() {
        var s = MQTTSession(settings: settings, nowMs: 0, seed: 7)
        var now: UInt64 = 0
        var ceilings: [UInt64] = []
        for attempt in 0..<10 {
            _ = s.timer(nowMs: now)
            _ = s.opened(nowMs: now)
            _ = s.received(.connack(sessionPresent: true, returnCode: 0), nowMs: now + 5)
            let actions = s.closed(nowMs: now + 600, reason: "the broker closed the connection")
            #expect(s.attempts == attempt + 1)
            guard case .wakeAt(let at) = actions.last else { Issue.record("no wake-up"); return }
            ceilings.append(UInt64(min(60_000, 1_000 << attempt)))
            #expect(at - (now + 600) <= ceilings.last!)
            now = at
        }
        // Ten sessions that each lasted 0.6 s: the pauses allowed grew to the 60 s cap, as for refused connections.
        #expect(ceilings.last == 60_000)
        #expect(now > 60_000)
    }

    @Test func aRefusedConnectionSaysWhy() {
        var s = MQTTSession(settings: settings, nowMs: 0, seed: 1)
        _ = s.timer(nowMs: 0)
        _ = s.opened(nowMs: 0)
        #expect(s.received(.connack(sessionPresent: false, returnCode: 5), nowMs: 1).first == .close(reason: "the broker refused the connection: not authorized (5)"))
        #expect(s.timer(nowMs: 2).isEmpty == false)
    }

    @Test func commandsAreAcknowledgedAndHandedOn() {
        var s = MQTTSession(settings: settings, nowMs: 0, seed: 1)
        _ = online(&s)
        let actions = s.received(.publish(MQTTPublish(topic: "crossguard/dev-1/cmd", payload: Array("{}".utf8), qos: 1, packetID: 77)), nowMs: 5)
        #expect(actions == [.send(.puback(packetID: 77)), .command(payload: Array("{}".utf8))])
    }

    @Test func aPacketOutOfPlaceClosesTheConnection() {
        var s = MQTTSession(settings: settings, nowMs: 0, seed: 1)
        _ = online(&s)
        #expect(s.received(.connack(sessionPresent: false, returnCode: 0), nowMs: 5).first == .close(reason: "unexpected CONNACK from the broker"))
    }

    @Test func packetIdsWrapAroundSkippingZeroAndThoseInFlight() {
        var small = settings
        small.inFlightWindow = 2
        var s = MQTTSession(settings: small, nowMs: 0, seed: 1)
        _ = online(&s)  // the SUBSCRIBE took id 1
        var ids: [UInt16] = []
        var held: UInt16?
        for n in 0..<70_000 {
            let out = publishes(s.enqueue(message(UInt64(n)), nowMs: 1))
            for p in out {
                ids.append(p.packetID!)
                if held == nil { held = p.packetID; continue }  // never acknowledged: stays in flight
                _ = s.received(.puback(packetID: p.packetID!), nowMs: 1)
            }
        }
        #expect(!ids.contains(0))
        #expect(ids.filter { $0 == held }.count == 1)  // the id in flight was never handed out again
    }
}
