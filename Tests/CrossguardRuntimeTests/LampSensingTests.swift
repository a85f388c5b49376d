import CrossguardCore
import CrossguardHAL
import CrossguardRuntime
import CrossguardSim
import Testing

/// The runtime test board plus current sensing on both red lamps and the green.
func sensedBoard() -> BoardConfig {
    var b = testBoard()
    b.inputs += [
        InputLine(role: .lampVehicleRed, copy: 1, address: line("SR1"), activeLow: false, bias: .asIs, debounceMs: 20),
        InputLine(role: .lampVehicleRed, copy: 2, address: line("SR2"), activeLow: false, bias: .asIs, debounceMs: 20),
        InputLine(role: .lampVehicleGreen, copy: 1, address: line("SG"), activeLow: false, bias: .asIs, debounceMs: 20),
    ]
    return b
}

@Suite("Lamp sensing through the simulated board")
struct LampSensingTests {
    @Test func resetWhileTheLampIsStillBrokenFindsItAgain() throws {
        let (rt, bank) = try runtime()
        rt.run(clock: VirtualClock(), limit: 400)
        bank.setLampFault("lamp.vehicle.red", false)
        bank.setInput("ped.button", true)
        rt.run(clock: VirtualClock(), limit: 1_000)
        #expect(rt.device.monitor.walkInhibited == true)
        rt.commands.post(.resetFault)
        rt.run(clock: VirtualClock(), limit: 1_000)              // the next red lights the broken lamp again
        #expect(rt.device.monitor.walkInhibited == true)
    }

    func runtime() throws -> (DeviceRuntime, SimulatedLineBank) {
        let bank = SimulatedLineBank(board: sensedBoard())
        return (try DeviceRuntime(site: testSite(), board: sensedBoard(), bank: bank, display: nil), bank)
    }

    @Test func healthyLampsNeverTripTheMonitor() throws {
        let (rt, bank) = try runtime()
        for minute in 0..<5 {
            rt.run(clock: VirtualClock(), limit: 1_000)
            bank.setInput("ped.button", minute % 2 == 0)
        }
        #expect(rt.device.monitor.latched == nil)
        #expect(rt.device.monitor.walkInhibited == false)
    }

    @Test func firstRedLampFailureInhibitsTheWalkAndRepairClearsIt() throws {
        let (rt, bank) = try runtime()
        let observer = EventLog()
        rt.run(clock: VirtualClock(), limit: 400)                // start-up over, vehicles in green
        #expect(bank.setLampFault("lamp.vehicle.red", false))    // one red lamp blows
        bank.setInput("ped.button", true)                        // a pedestrian asks: amber, then red
        rt.run(clock: VirtualClock(), limit: 1_000, observer: observer)
        bank.setInput("ped.button", false)
        #expect(rt.device.monitor.walkInhibited == true)
        #expect(rt.device.monitor.latched == nil)
        #expect(observer.names.contains("lamp.failure raised"))
        rt.run(clock: VirtualClock(), limit: 1_000, observer: observer)
        #expect(!bank.outputLevels.contains { $0.role == "ped.walk" && $0.on })  // no walk over a dark red
        #expect(!observer.names.contains("demand.served"))
        bank.setLampFault("lamp.vehicle.red", nil)               // the technician replaces the lamp and resets
        rt.commands.post(.resetFault)
        rt.tick()
        #expect(observer.names.last != nil)
        #expect(rt.device.monitor.walkInhibited == false)
        bank.setInput("ped.button", true)
        rt.run(clock: VirtualClock(), limit: 2_500, observer: observer)
        #expect(observer.names.contains("demand.served"))        // the walk is back
        #expect(rt.device.monitor.walkInhibited == false)
    }

    @Test func secondRedLampFailureLatchesTheFailSafe() throws {
        let (rt, bank) = try runtime()
        rt.run(clock: VirtualClock(), limit: 400)
        bank.setLampFault("lamp.vehicle.red", false)
        bank.setLampFault("lamp.vehicle.red.2", false)
        bank.setInput("ped.button", true)
        rt.run(clock: VirtualClock(), limit: 1_500)
        #expect(rt.device.monitor.latched == .redLampFailure)
        // Fail-safe in us: flashing amber to vehicles, pedestrian heads dark.
        #expect(!bank.outputLevels.contains { ["vehicle.red", "vehicle.green", "ped.walk", "ped.dont_walk"].contains($0.role) && $0.on })
    }

    @Test func greenStuckOnLatchesTheFailSafe() throws {
        let (rt, bank) = try runtime()
        rt.run(clock: VirtualClock(), limit: 100)                // start-up flash: the green is commanded dark
        bank.setLampFault("lamp.vehicle.green", true)
        rt.run(clock: VirtualClock(), limit: 200)
        #expect(rt.device.monitor.latched == .lampStuckOn)
        #expect(rt.device.monitor.involved == OutputSet([.vehicleGreen]))
    }
}

/// Keeps every event and its "type state".
final class EventLog: TickObserver {
    var names: [String] = []
    var events: [Event] = []
    func didTick(_ tick: UInt64, result: StepResult, events: [Event], runtime: DeviceRuntime) {
        for e in events { names.append(e.type.name + (e.state.map { " \($0.name)" } ?? "")) }
        self.events += events
    }
}
