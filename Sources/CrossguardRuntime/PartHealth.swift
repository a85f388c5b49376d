import CrossguardCore
import CrossguardHAL

/// How one I2C part is doing, for `diag` and the status: whether it answers, how often it failed, and
/// the last fault.
public struct PartHealth: Equatable, Sendable {
    public var config: I2CDeviceConfig
    /// Whether it is silent now (its roles stand for their safe levels).
    public var silent: Bool
    /// Transfers and starts that failed, since start.
    public var failures: UInt64
    /// Transfers that answered, since start.
    public var answers: UInt64
    /// The newest fault, nil when none yet.
    public var lastError: HardwareError?

    /// The health of the part `config` as its supervisor knows it.
    public init(config: I2CDeviceConfig, _ supervisor: PartSupervisor) {
        self.config = config
        silent = supervisor.isSilent
        failures = supervisor.failures
        answers = supervisor.answers
        lastError = supervisor.lastError
    }
}

/// Every I2C part's health, by kind: the sensors (role and light sensors, in the order the poller was
/// given them), the countdown display, the expanders.
public struct PartsHealth: Equatable, Sendable {
    public var sensors: [PartHealth]
    public var display: PartHealth?
    public var expanders: [PartHealth]

    /// Every part, sensors first, then the display, then the expanders.
    public var all: [PartHealth] { sensors + (display.map { [$0] } ?? []) + expanders }

    /// The health of the part the board describes as `config`, nil when the poller does not drive it.
    public func of(_ config: I2CDeviceConfig) -> PartHealth? { all.first { $0.config == config } }
}
