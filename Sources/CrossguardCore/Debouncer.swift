/// One raw input line as the line bank sampled it: the level now (true = active, after active-low) and
/// how many edges the bank latched since the previous sample (saturating), so a pulse shorter than a
/// tick is still seen.
public struct RawLine: Equatable, Sendable {
    public var level: Bool
    public var edges: UInt8

    /// A sample.
    public init(level: Bool, edges: UInt8 = 0) {
        self.level = level
        self.edges = edges
    }
}

/// What the controllers see of the inputs in one tick: debounced levels and the edges that were
/// accepted this tick, per role (numbered copies folded into their role), and at most one command.
public struct Inputs: Equatable, Sendable {
    /// Roles whose debounced level is active (any copy).
    public var active: InputSet
    /// Roles that became active this tick (any copy, including a sub-tick pulse when debounce is 0).
    public var rose: InputSet
    /// Roles that became inactive this tick.
    public var fell: InputSet
    /// A command from the centre, handled this tick.
    public var command: Command?
    /// How many `lamp.vehicle.red` sense lines read dark, copies counted one by one: the second red lamp
    /// failure is what sends a crossing to fail-safe.
    public var redLampsDark: UInt8 = 0
    /// The same for `lamp.vehicle.red.right`, a hybrid beacon's right-hand red.
    public var rightRedLampsDark: UInt8 = 0
    /// The newest ambient light reading in lux, nil when the board has no light sensor or it is silent.
    public var ambientLux: Double?
    /// Roles played by an I2C sensor, or by a line on an I2C expander, that has stopped answering. Their
    /// level is then the role's `levelWhenSilent`, set by the runtime; the controller reports the fault.
    public var silentSensors = InputSet()

    /// Inputs with these roles active and no edges.
    public init(active: InputSet = InputSet(), rose: InputSet = InputSet(), fell: InputSet = InputSet(), command: Command? = nil) {
        self.active = active
        self.rose = rose
        self.fell = fell
        self.command = command
    }
}

/// Debounces every input line, in ticks: a change counts once the line has held its new level for the
/// debounce time, so contact bounce and glitches vanish. With a debounce of 0 ticks every latched edge
/// counts, even a pulse that came and went between two ticks.
public struct Debouncer: Sendable {
    /// The role of each line, by line index (copies share a role).
    public let roles: [InputRole]
    /// The debounce time of each line in ticks.
    public let debounceTicks: [Int]
    private var stable: [Bool]
    private var heldTicks: [Int]
    private var started = false

    /// A debouncer for lines with these roles and debounce times (ticks).
    public init(roles: [InputRole], debounceTicks: [Int]) {
        precondition(roles.count == debounceTicks.count, "one debounce time per line")
        self.roles = roles
        self.debounceTicks = debounceTicks
        stable = Array(repeating: false, count: roles.count)
        heldTicks = Array(repeating: 0, count: roles.count)
    }

    /// Folds one sample of every line into debounced role inputs. The first call adopts the levels as
    /// they are, without edges: a door open at power-up is "active", not "just opened".
    public mutating func update(_ lines: [RawLine]) -> Inputs {
        var result = Inputs()
        var someCopyInactive = InputSet()
        for i in 0..<roles.count {
            let sample = lines[i]
            let role = roles[i]
            if !started {
                stable[i] = sample.level
            } else if debounceTicks[i] == 0 {
                if sample.level != stable[i] {
                    stable[i] = sample.level
                    if sample.level { result.rose.insert(role) } else { result.fell.insert(role) }
                } else if sample.edges > 0 {
                    // Left and came back between two ticks: a whole pulse, both of its edges count.
                    result.rose.insert(role)
                    result.fell.insert(role)
                }
            } else if sample.edges > 0 {
                // It moved during this tick: whatever level it shows now has not been held yet.
                heldTicks[i] = 0
            } else if sample.level != stable[i] {
                heldTicks[i] += 1
                if heldTicks[i] >= debounceTicks[i] {
                    stable[i] = sample.level
                    heldTicks[i] = 0
                    if sample.level { result.rose.insert(role) } else { result.fell.insert(role) }
                }
            } else {
                heldTicks[i] = 0
            }
            if stable[i] { result.active.insert(role) } else {
                someCopyInactive.insert(role)
                if role == .lampVehicleRed { result.redLampsDark &+= 1 }
                if role == .lampVehicleRedRight { result.rightRedLampsDark &+= 1 }
            }
        }
        // A sensed lamp is lit only when every copy reads lit: one dark copy must not hide behind a lit one.
        result.active.bits &= ~(someCopyInactive.bits & InputSet.lampSenseMask)
        started = true
        return result
    }
}
