// Runs the controller for N ticks (argument, default 1,000,000) after warming up for one minute of ticks.
// Under `valgrind --tool=callgrind`, (instructions at N) − (instructions at 0), divided by N, is the
// instruction cost of one tick: a figure that repeats to within a few instructions, unlike wall time.
import BenchFixtures
import CrossguardCore

/// The loop lives in a function: top-level variables are globals, whose every access Swift checks for
/// exclusivity at run time, which would be counted as the controller's cost.
func run(ticks: Int, verbose: Bool) {
var device = benchmarkDevice()
let inputs = benchmarkInputs()
var events = EventBuffer(capacity: 64)
var checksum: UInt64 = 0
var lastLit = OutputSet()
for i in 0..<(inputs.count + ticks) {
    events.removeAll()
    let result = device.step(withHealthyLamps(inputs[i % inputs.count], lastLit: lastLit), events: &events)
    lastLit = result.outputs.lit
    checksum &+= UInt64(result.outputs.lit.bits) &+ UInt64(events.events.count)
    if verbose { for e in events.events { print(i, e.summary(tickMs: 10)) } }
}
precondition(device.monitor.latched == nil, "the workload must run the crossing, not its fail-safe")
print("ticks \(ticks) checksum \(checksum) events \(events.nextSeq - 1)")
}

run(ticks: CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000, verbose: CommandLine.arguments.count > 2)
