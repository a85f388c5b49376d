import CrossguardCore

/// The benchmarked device: examples/site.toml (a kz signalized crossing) with an SOS post, on a board
/// with every input including current sensing on every lamp, at 10 ms ticks. Built from values so the benchmarks need no TOML parser.
public func benchmarkDevice() -> Device {
    let crossing = CrossingSettings(
        lengthMeters: 10.5, walkingSpeedMetersPerSecond: 1.07, minGreen: 15_000, flashingGreen: 3_000, amber: 3_000,
        allRed: 2_000, allRedAfterClearance: 2_000, redAmber: 2_000, walk: 7_000, clearance: 10_000,
        clearanceMax: 14_000, maxWait: 45_000, kerbDwell: 1_000, kerbCancel: 2_000, startupFlash: 6_000,
        startupAllRed: 3_000, countdown: true)
    let site = SiteConfig(
        deviceID: "bench", profile: .signalized(crossing), regime: .kz, tickMs: 10, flash: FlashSettings(flashesPerMinute: 60, duty: 0.5),
        sos: SOSSettings(longPress: 0, ackTimeout: 60_000, stuckAfter: 30_000, selfTestEvery: 86_400_000),
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
