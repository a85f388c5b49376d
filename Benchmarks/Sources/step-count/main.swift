// Runs the controller for N ticks (argument, default 1,000,000) after warming up for one minute of ticks.
// Under `valgrind --tool=callgrind`, (instructions at N) − (instructions at 0), divided by N, is the
// instruction cost of one tick: a figure that repeats to within a few instructions, unlike wall time.
import BenchFixtures
import CrossguardCore

let ticks = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
var controller = benchmarkController()
let inputs = benchmarkInputs()
var events = EventBuffer(capacity: 64)
var checksum: UInt64 = 0
for i in 0..<(inputs.count + ticks) {
    events.removeAll()
    let result = controller.step(inputs[i % inputs.count], events: &events)
    checksum &+= UInt64(result.outputs.lit.bits) &+ UInt64(events.events.count)
}
print("ticks \(ticks) checksum \(checksum) events \(events.nextSeq - 1)")
