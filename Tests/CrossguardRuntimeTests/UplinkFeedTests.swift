import CrossguardCore
import CrossguardHAL
import CrossguardRuntime
import CrossguardSim
import Synchronization
import Testing

/// The feed wakes the uplink through its doorbell only when a tick left something in the ring, and once
/// per answer: an idle crossing never wakes the uplink's thread, an SOS press wakes it at that tick.
struct UplinkFeedTests {
    final class Bell: Sendable {
        let rings = Atomic<Int>(0)
        var count: Int { rings.load(ordering: .relaxed) }
    }

    func device() throws -> (DeviceRuntime, SimulatedLineBank, UplinkFeed, Bell) {
        let bank = SimulatedLineBank(board: testBoard())
        let runtime = try DeviceRuntime(site: testSite(), board: testBoard(), bank: bank, display: nil)
        let feed = UplinkFeed(site: testSite(), stamp: { _ in 0 })
        let bell = Bell()
        feed.doorbell = { bell.rings.wrappingAdd(1, ordering: .relaxed) }
        return (runtime, bank, feed, bell)
    }

    func drain(_ feed: UplinkFeed) -> [FeedItem] {
        var items: [FeedItem] = []
        while let item = feed.ring.pop() { items.append(item) }
        return items
    }

    @Test func theFirstTicksEventsRingOnceAndQuietTicksNever() throws {
        let (runtime, _, feed, bell) = try device()
        runtime.tick(observer: feed)                          // controller.started
        #expect(bell.count == 1)
        #expect(drain(feed).contains { if case .event(let e, _) = $0 { e.type == .controllerStarted } else { false } })
        feed.answerDoorbell()
        for _ in 0..<50 { runtime.tick(observer: feed) }      // start-up flash: no events
        #expect(bell.count == 1)
        #expect(drain(feed).isEmpty)
    }

    @Test func anSOSPressRingsAtItsTickAndAgainOnlyAfterAnAnswer() throws {
        let (runtime, bank, feed, bell) = try device()
        runtime.tick(observer: feed)
        _ = drain(feed)
        feed.answerDoorbell()
        bank.setInput("sos.button", true)
        runtime.tick(observer: feed)
        #expect(bell.count == 2)
        #expect(drain(feed).contains { if case .event(let e, _) = $0 { e.type == .sosAlarm } else { false } })
        bank.setInput("sos.button", false)
        runtime.tick(observer: feed)
        bank.setInput("sos.button", true)                     // a second press before the uplink answered
        runtime.tick(observer: feed)
        #expect(drain(feed).contains { if case .event(let e, _) = $0 { e.type == .sosPressed } else { false } })
        #expect(bell.count == 2)                              // not answered: the uplink is awake already
        feed.answerDoorbell()
        bank.setInput("sos.button", false)
        runtime.tick(observer: feed)
        bank.setInput("sos.button", true)
        runtime.tick(observer: feed)
        #expect(bell.count == 3)
    }
}
