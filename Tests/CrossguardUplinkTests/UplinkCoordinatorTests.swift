import CrossguardCore
import CrossguardUplink
import Testing

/// The uplink's own decisions on a virtual clock: milliseconds handed in, no broker, no thread.
@Suite("Uplink coordinator: status pacing, command replies, reply ids, rejection reports")
struct UplinkCoordinatorTests {
    let quiet = StatusReport(profile: .signalized, regime: .kz)
    var walking: StatusReport {
        var s = quiet
        s.phase = "pedestrianWalk"
        return s
    }

    @Test func statusGoesOnChangeAtMostOnceASecondAndEveryMinuteRegardless() {
        var c = UplinkCoordinator()
        let storage = StorageStatus()
        var sent: [UInt64] = []
        // A signal that changes every 100 ms for 3 s, then holds for 2 minutes.
        for ms in stride(from: UInt64(5_000), to: 130_000, by: 100) {
            let s = ms < 8_000 && ms / 100 % 2 == 0 ? walking : quiet
            var counted = s
            counted.uptimeMs = ms  // counts alone never make it due
            if c.statusDue(counted, storage: storage, nowMs: ms) { sent.append(ms) }
        }
        // First at once; then, a second on, the first tick whose signal differs from what was sent
        // (at 6 s the walk shows again, as sent: no change to send).
        #expect(sent.prefix(4) == [5_000, 6_100, 7_200, 8_200])
        #expect(sent.dropFirst(4) == [68_200, 128_200])  // then once a minute while nothing changes
    }

    @Test func aStorageFaultIsAChangeOfItsOwn() {
        var c = UplinkCoordinator()
        var storage = StorageStatus()
        let first = c.statusDue(quiet, storage: storage, nowMs: 0)
        storage.fault = .noSpace
        let tooSoon = c.statusDue(quiet, storage: storage, nowMs: 500), next = c.statusDue(quiet, storage: storage, nowMs: 1_000)
        #expect(first && !tooSoon && next)
    }

    @Test func eachOutcomeAnswersItsOwnCommandOnceAndLampTestCarriesItsResult() {
        var c = UplinkCoordinator()
        let ack = c.track(id: "c-1", type: "sos.ack"), test = c.track(id: "c-2", type: "lamp.test")
        #expect(ack != test && c.commandsInCore == 2)
        var event = Event(.lampTest(checked: 6, failed: OutputSet([.vehicleAmber])), tick: 10)
        event.seq = 9
        c.saw(event)
        let tested = c.outcome(test, .accepted), refused = c.outcome(ack, .refused(.noOpenAlarm)), twice = c.outcome(ack, .accepted)
        #expect(tested == .init(id: "c-2", type: "lamp.test", error: nil, result: #"{"lamps_checked":6,"failed":["vehicle.amber"]}"#))
        #expect(refused?.error == CommandRefusal.noOpenAlarm.description)
        #expect(twice == nil)  // answered already: nothing twice
        #expect(c.commandsInCore == 0)
        // A later command that is not lamp.test never inherits a lamp result.
        let mode = c.track(id: "c-3", type: "mode.set")
        c.saw(event)
        let set = c.outcome(mode, .accepted)
        #expect(set != nil && set?.result == nil)
    }

    @Test func aCommandTheCoreNeverTookIsRefusedAsBusy() {
        var c = UplinkCoordinator()
        let token = c.track(id: "c-9", type: "fault.reset")
        let busy = c.notTaken(token), again = c.notTaken(token)
        #expect(busy?.error == "the device is busy: its command queue is full; send again")
        #expect(again == nil && c.commandsInCore == 0)
    }

    @Test func replyIdsNeverMeetEventSeqs() {
        var c = UplinkCoordinator()
        let ids = (0..<1_000).map { _ in c.replyID() }
        #expect(Set(ids).count == 1_000 && ids.allSatisfy(UplinkCoordinator.isReply))
        #expect(!UplinkCoordinator.isReply(UInt64(Int64.max)))  // the largest seq an outbox could give
    }

    @Test func oversizedCommandsAreReportedTogetherAtMostOnceASecond() {
        var c = UplinkCoordinator()
        let none = c.rejectionReport(nowMs: 0)  // nothing to report
        c.rejected(bytes: 300_000)
        let one = c.rejectionReport(nowMs: 10)
        for bytes in [500_000, 270_000, 1_000_000] { c.rejected(bytes: bytes) }
        let early = c.rejectionReport(nowMs: 500)  // a burst waits for the second to pass
        let burst = c.rejectionReport(nowMs: 1_010), after = c.rejectionReport(nowMs: 5_000)
        #expect(none == nil && early == nil && after == nil)
        #expect(one == .uplinkRejected(count: 1, largestBytes: 300_000))
        #expect(burst == .uplinkRejected(count: 3, largestBytes: 1_000_000))
    }

    @Test func theWindowTakesWhatItHasRoomForOfWhatIsWaiting() {
        #expect(UplinkCoordinator.refill(inFlight: 0, window: 16, waiting: 100) == 16)
        #expect(UplinkCoordinator.refill(inFlight: 10, window: 16, waiting: 100) == 6)
        #expect(UplinkCoordinator.refill(inFlight: 10, window: 16, waiting: 2) == 2)
        #expect(UplinkCoordinator.refill(inFlight: 16, window: 16, waiting: 100) == 0)
    }
}
