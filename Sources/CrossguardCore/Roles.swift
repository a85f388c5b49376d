/// A logical input of the street furniture (the roles of `docs/configuration.md`). Board files map roles to lines;
/// the controllers only ever see roles, so the same logic runs on any wiring.
public enum InputRole: UInt8, CaseIterable, Sendable {
    case pedButton
    case pedKerb
    case pedCrossing
    case sosButton
    case cabinetDoor
    case mainsOK
    case batteryLow
    case faultReset
    // Read-back or current sense of each output (`lamp.<output role>`), in OutputRole order.
    case lampVehicleRed, lampVehicleAmber, lampVehicleGreen, lampPedDontWalk, lampPedWalk, lampPedWait, lampApsWalk
    case lampApsLocator, lampBeaconLeft, lampBeaconRight, lampStuds, lampFlood, lampSosYellow, lampSosGreen, lampSosStrobe
    case lampVehicleRedRight

    /// The first lamp-sense case; `rawValue - lampBase` is the sensed output's raw value.
    static let lampBase = InputRole.lampVehicleRed.rawValue

    /// For a `lamp.<role>` input: the output it senses.
    public var sensedLamp: OutputRole? { rawValue >= InputRole.lampBase ? OutputRole(rawValue: rawValue - InputRole.lampBase) : nil }

    /// The input roles a board may list, for messages: the plain ones and the `lamp.<output role>` pattern.
    public static var namesForMessages: String {
        (allCases.filter { $0.sensedLamp == nil }.map(\.name) + ["lamp.<output role>"]).joined(separator: ", ")
    }

    /// The name used in board files, scenarios, traces and events.
    public var name: String {
        if let lamp = sensedLamp { return "lamp." + lamp.name }
        return switch self {
        case .pedButton: "ped.button"
        case .pedKerb: "ped.kerb"
        case .pedCrossing: "ped.crossing"
        case .sosButton: "sos.button"
        case .cabinetDoor: "cabinet.door"
        case .mainsOK: "mains.ok"
        case .batteryLow: "battery.low"
        case .faultReset: "fault.reset"
        default: "lamp.?"  // unreachable: every lamp case has its sensed output
        }
    }

    /// The level a sensor playing this role stands for while it does not answer: the safe assumption.
    /// Someone may be on the crossing (the clearance runs to its maximum, as for a suspect detector);
    /// nobody is known to wait at the kerb (buttons still place demands); a silent lamp monitor reads
    /// dark, so the safety monitor treats the lamp as failed rather than trusting a lamp it cannot see.
    public var levelWhenSilent: Bool { self == .pedCrossing }

    /// Whether a line playing the role may be read from an I2C GPIO expander (an `[[input]]` with `expander = …`).
    ///
    /// A GPIO line's edges are latched by the kernel even between ticks; an expander's inputs are only known
    /// when it answers a poll. While it is silent (three failed reads in a row) each of its inputs stands for
    /// its role's `levelWhenSilent` and whatever happens at the line meanwhile is not seen; only
    /// `detector.fault` tells the centre the line is not being read. So only a role whose silent level is safe
    /// or errs on the side of an alarm may be there:
    /// - `ped.button`: reads unpressed; a press is lost, so the pedestrian waits and presses again, and
    ///   nobody is told to go.
    /// - `ped.kerb`: reads nobody waiting; the buttons still place demands.
    /// - `ped.crossing`: reads someone on the crossing; the clearance runs to its maximum.
    /// - `fault.reset`: reads unpressed; a latched fault stays latched until the reset is given again.
    /// - `mains.ok`: reads "mains lost", an alarm: conservative.
    /// - every `lamp.<output role>` sense input: reads dark, so the safety monitor treats the lamp as failed
    ///   rather than trusting a lamp it cannot see.
    ///
    /// Refused: `sos.button` (a press during the silence is lost, and the person at the SOS post is left
    /// alone), `cabinet.door` (reads shut: a break-in during the silence is hidden) and `battery.low` (reads
    /// "battery fine": a failing battery is hidden). A role added later is refused until someone decides.
    public var mayBeOnExpander: Bool {
        switch self {
        case .pedButton, .pedKerb, .pedCrossing, .faultReset, .mainsOK: true
        case .sosButton, .cabinetDoor, .batteryLow: false
        default: sensedLamp != nil
        }
    }

    /// For a role refused on an expander (`mayBeOnExpander` false): what its silent level would hide, for the
    /// board loader's message.
    var hiddenWhileExpanderSilent: String {
        switch self {
        case .sosButton: "a press while the expander is silent is lost (a GPIO line latches it), and the person at the SOS post is left alone"
        case .cabinetDoor: "while the expander is silent the door reads shut, and a break-in is hidden"
        case .batteryLow: "while the expander is silent the battery reads fine, and a failing battery is hidden"
        default: "while the expander is silent the input reads its safe level, and what it reports could be hidden"
        }
    }

    /// Looks a role up by its file name (`ped.button`), without a copy suffix.
    public init?(name: String) {
        guard let role = InputRole.allCases.first(where: { $0.name == name }) else { return nil }
        self = role
    }
}

/// A logical on/off output: a lamp, a beacon, a trigger. Numbered copies on a board
/// (`beacon.left.2`) show exactly what the first one shows.
public enum OutputRole: UInt8, CaseIterable, Sendable {
    case vehicleRed
    case vehicleAmber
    case vehicleGreen
    case pedDontWalk
    case pedWalk
    case pedWait
    case apsWalk
    case apsLocator
    case beaconLeft
    case beaconRight
    case studs
    case flood
    case sosYellow
    case sosGreen
    case sosStrobe
    /// The right-hand red of a pedestrian hybrid beacon (`vehicle.red` is the left one): the two reds
    /// alternate in the flashing-red intervals, so they cannot be copies of one role.
    case vehicleRedRight

    /// The name used in board files, traces and events.
    public var name: String {
        switch self {
        case .vehicleRed: "vehicle.red"
        case .vehicleAmber: "vehicle.amber"
        case .vehicleGreen: "vehicle.green"
        case .pedDontWalk: "ped.dont_walk"
        case .pedWalk: "ped.walk"
        case .pedWait: "ped.wait"
        case .apsWalk: "aps.walk"
        case .apsLocator: "aps.locator"
        case .beaconLeft: "beacon.left"
        case .beaconRight: "beacon.right"
        case .studs: "studs"
        case .flood: "flood"
        case .sosYellow: "sos.yellow"
        case .sosGreen: "sos.green"
        case .sosStrobe: "sos.strobe"
        case .vehicleRedRight: "vehicle.red.right"
        }
    }

    /// Looks a role up by its file name (`vehicle.red`), without a copy suffix.
    public init?(name: String) {
        guard let role = OutputRole.allCases.first(where: { $0.name == name }) else { return nil }
        self = role
    }

    /// The input that senses this output (`lamp.vehicle.red`).
    public var senseRole: InputRole { InputRole(rawValue: rawValue + InputRole.lampBase)! }

    /// Whether the role may be driven from an I2C GPIO expander (an `[[output]]` with `expander = …`).
    ///
    /// An expander's outputs are latches on the far side of a bus: when the expander hangs, the bus
    /// fails or the controller stops, each output holds whatever it last showed — on or off — for as long
    /// as the chip has power. Neither the safe state written at a stop, nor the watchdog's board reset,
    /// nor `strict_gpiod` reaches it, and the controller cannot tell. So only a role whose stuck-on and
    /// stuck-off states both tell nobody to go, and take no warning away from anyone, may be there:
    /// - `ped.wait`: the demand lamp only confirms a press; the heads, not it, decide when to cross.
    /// - `aps.locator`: the locator tone only helps find the push button.
    /// - `sos.strobe`: an optional strobe or sounder drawing attention to an alarm the centre already has.
    ///
    /// Refused: the signal heads (a stuck green or walk is a conflict; a stuck dark red hides the stop),
    /// `aps.walk` (a stuck walk tone tells a blind pedestrian to cross against green traffic), the
    /// beacons, studs and floodlight (the unsignalized crossing's only warning to drivers; stuck dark, a
    /// pedestrian steps out unannounced, and a steady beacon is not a flash pattern), and the SOS lights
    /// (a stuck green tells the next caller help is coming when no one acknowledged; a stuck-dark yellow
    /// tells a caller the alarm was not sent, and they may leave).
    public var mayBeOnExpander: Bool {
        switch self {
        case .pedWait, .apsLocator, .sosStrobe: true
        default: false
        }
    }
}

/// The name of the numeric countdown output (`ped.countdown`, seconds, dark when none).
public let countdownRoleName = "ped.countdown"

/// A set of input roles as one machine word, so the tick path copies sets without allocating.
public struct InputSet: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var bits: UInt32

    /// The empty set.
    public init() { bits = 0 }

    /// A set holding exactly these roles.
    public init(_ roles: [InputRole]) {
        bits = 0
        for role in roles { insert(role) }
    }

    /// Whether the role is in the set.
    @inline(__always) public func contains(_ role: InputRole) -> Bool { bits & (1 << UInt32(role.rawValue)) != 0 }
    /// Adds the role.
    @inline(__always) public mutating func insert(_ role: InputRole) { bits |= 1 << UInt32(role.rawValue) }
    /// Removes the role.
    @inline(__always) public mutating func remove(_ role: InputRole) { bits &= ~(1 << UInt32(role.rawValue)) }
    /// Adds or removes the role.
    @inline(__always) public mutating func set(_ role: InputRole, _ on: Bool) { if on { insert(role) } else { remove(role) } }

    public var description: String {
        "[" + InputRole.allCases.filter(contains).map(\.name).joined(separator: ", ") + "]"
    }
}

extension InputSet {
    /// The bits of every `lamp.<role>` sense input.
    public static let lampSenseMask: UInt32 = ~((1 << UInt32(InputRole.lampBase)) - 1) & ((1 << UInt32(InputRole.allCases.count)) - 1)

    /// The outputs sensed lit, as an output set (bit n of the result is output role n).
    @inline(__always) public var sensedLamps: OutputSet {
        var lamps = OutputSet()
        lamps.bits = (bits & InputSet.lampSenseMask) >> UInt32(InputRole.lampBase)
        return lamps
    }
}

/// A set of output roles that are lit, one machine word.
public struct OutputSet: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var bits: UInt32

    /// All outputs dark.
    public init() { bits = 0 }

    /// The outputs whose bits are set (bit n is the role with raw value n).
    @inline(__always) public init(bits: UInt32) { self.bits = bits }

    /// Exactly these outputs lit.
    public init(_ roles: [OutputRole]) {
        bits = 0
        for role in roles { insert(role) }
    }

    /// Whether the output is lit.
    @inline(__always) public func contains(_ role: OutputRole) -> Bool { bits & (1 << UInt32(role.rawValue)) != 0 }
    /// Lights the output.
    @inline(__always) public mutating func insert(_ role: OutputRole) { bits |= 1 << UInt32(role.rawValue) }
    /// Darkens the output.
    @inline(__always) public mutating func remove(_ role: OutputRole) { bits &= ~(1 << UInt32(role.rawValue)) }
    /// Lights or darkens the output.
    @inline(__always) public mutating func set(_ role: OutputRole, _ on: Bool) { if on { insert(role) } else { remove(role) } }

    public var description: String {
        "[" + OutputRole.allCases.filter(contains).map(\.name).joined(separator: ", ") + "]"
    }
}
