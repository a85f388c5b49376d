import CrossguardCore

/// The benchmarked device: examples/site.toml (a kz signalized crossing) with an SOS post, on a board
/// with every input including current sensing on every lamp, at 10 ms ticks. Built from values so the benchmarks need no TOML parser.
public func benchmarkDevice() -> Device {
    let crossing = CrossingSettings(
        lengthMeters: 10.5, walkingSpeedMetersPerSecond: 1.07, minGreenMs: 15_000, flashingGreenMs: 3_000, amberMs: 3_000,
        allRedMs: 2_000, allRedAfterClearanceMs: 2_000, redAmberMs: 2_000, walkMs: 7_000, clearanceMs: 10_000,
        clearanceMaxMs: 14_000, maxWaitMs: 45_000, kerbDwellMs: 1_000, kerbCancelMs: 2_000, startupFlashMs: 6_000,
        startupAllRedMs: 3_000, countdown: true)
    let site = SiteConfig(
        deviceID: "bench", profile: .signalized(crossing), regime: .kz, tickMs: 10, flash: FlashSettings(flashesPerMinute: 60, duty: 0.5),
        sos: SOSSettings(longPressMs: 0, ackTimeoutMs: 60_000, stuckAfterMs: 30_000, selfTestEveryMs: 86_400_000),
        uplink: UplinkSettings())
    let address = LineAddress.named("L", chip: "bench")
    let board = BoardConfig(
        name: "bench", description: "",
        inputs: InputRole.allCases.map { InputLine(role: $0, copy: 1, address: address, activeLow: false, bias: .asIs, debounceMs: 30) },
        outputs: OutputRole.allCases.map { OutputLine(role: $0, copy: 1, address: address, activeLow: false) },
        hasCountdown: true)
    return Device(config: DeviceConfig(site: site, board: board))
}

/// What healthy lamps report: every sensed lamp reads what was commanded the tick before.
@inline(__always) public func withHealthyLamps(_ inputs: Inputs, lastLit: OutputSet) -> Inputs {
    var sensed = inputs
    sensed.active.bits |= (lastLit.bits << UInt32(InputRole.lampVehicleRed.rawValue)) & InputSet.lampSenseMask
    sensed.redLampsDark = lastLit.contains(.vehicleRed) ? 0 : 1
    return sensed
}

/// One minute of inputs (6,000 ticks) that repeats: a button press, someone on the crossing during the
/// walk, an SOS call acknowledged and closed by the centre, mains present throughout.
public func benchmarkInputs() -> [Inputs] {
    var inputs: [Inputs] = []
    inputs.reserveCapacity(6_000)
    for t in 0..<6_000 {
        var active = InputSet([.mainsOK])
        var rose = InputSet()
        if t == 100 { rose.insert(.pedButton); active.insert(.pedButton) }
        if (2_000..<2_600).contains(t) { active.insert(.pedCrossing) }
        if t == 2_000 { rose.insert(.pedCrossing) }
        if t == 3_000 { rose.insert(.sosButton); active.insert(.sosButton) }
        var command: Command?
        if t == 3_500 { command = .acknowledgeAlarm(alarmID: nil) }
        if t == 5_000 { command = .closeAlarm(alarmID: nil) }
        inputs.append(Inputs(active: active, rose: rose, command: command))
    }
    return inputs
}
