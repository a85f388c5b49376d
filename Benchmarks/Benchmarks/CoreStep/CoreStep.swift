import BenchFixtures
import Benchmark
import CrossguardCore

/// `Device.step` (the controllers under the safety monitor) for a kz signalized crossing plus an SOS post, in steady state (after one warm-up
/// minute), one benchmark iteration per tick. Mallocs are counted: the tick path must allocate nothing.
let benchmarks: @Sendable () -> Void = {
    Benchmark(
        "Device.step (signalized kz + SOS post)",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .instructions, .mallocCountTotal, .memoryLeaked],
            scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: 1_000)
    ) { benchmark in
        var device = benchmarkDevice()
        let inputs = benchmarkInputs()
        var events = EventBuffer(capacity: 64)
        var lastLit = OutputSet()
        for i in 0..<inputs.count {  // warm up: start-up sequence over, buffers at capacity
            events.removeAll()
            lastLit = device.step(withHealthyLamps(inputs[i], lastLit: lastLit), events: &events).outputs.lit
        }
        var i = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            events.removeAll()
            lastLit = device.step(withHealthyLamps(inputs[i], lastLit: lastLit), events: &events).outputs.lit
            i = i == inputs.count - 1 ? 0 : i + 1
        }
        benchmark.stopMeasurement()
        precondition(device.monitor.latched == nil, "the workload must run the crossing, not its fail-safe")
    }
}
