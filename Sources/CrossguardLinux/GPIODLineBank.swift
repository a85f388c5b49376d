import CGPIOD
import CrossguardHAL
import Glibc

/// One line a board file names, as the GPIO backend needs it: where it is (by line name, or by chip label
/// and offset, never by chip number) and how it is wired. `role` is only for messages.
public struct GPIOLineSpec: Equatable, Sendable {
    /// Pull resistor asked of the chip.
    public enum Bias: Sendable {
        case asIs, disabled, pullUp, pullDown
    }

    public var role: String
    public var chip: String?
    public var name: String?
    public var offset: Int?
    public var activeLow: Bool
    public var bias: Bias

    /// A line spec.
    public init(role: String, chip: String?, name: String?, offset: Int?, activeLow: Bool, bias: Bias = .asIs) {
        self.role = role
        self.chip = chip
        self.name = name
        self.offset = offset
        self.activeLow = activeLow
        self.bias = bias
    }

    /// The address as the board file gives it: `GPIO17`, `pinctrl-rp1/GPIO17` or `pinctrl-rp1:17`.
    public var address: String {
        if let name { return chip.map { "\($0)/\(name)" } ?? name }
        return "\(chip ?? "?"):\(offset ?? -1)"
    }
}

/// The board's lines through libgpiod (1.x or 2.x, chosen when the C shim is compiled). Every line is
/// found by name or chip label at start-up; outputs are requested at their inactive level, inputs with
/// their bias and both-edge events, all as consumer `crossguard`. Each tick reads every input and drains
/// its edge events (a pulse shorter than a tick is counted, not lost) and writes every output, in bulk:
/// one request per chip and direction. The tick path allocates nothing: buffers are made at start-up.
public final class GPIODLineBank: LineBank {
    /// The lines of one request and where their values go in the bank's numbering.
    private struct Group {
        let request: OpaquePointer
        let indices: [Int]
        let values: UnsafeMutablePointer<Int32>
        let edges: UnsafeMutablePointer<UInt32>
    }

    public let inputCount: Int
    public let outputCount: Int
    private var inputGroups: [Group] = []
    private var outputGroups: [Group] = []

    /// Which libgpiod this build speaks to ("libgpiod 1.6.3 (API 1)"), for `diag` and the start-up line.
    public static var libraryDescription: String {
        "libgpiod \(String(cString: cg_gpiod_version())) (API \(cg_gpiod_api_major()))"
    }

    /// The libgpiod API this build was compiled against: 1 or 2, 0 when built without libgpiod.
    public static var apiMajor: Int { Int(cg_gpiod_api_major()) }

    /// Finds and requests every line. Errors name the role and the line: a chip or line that does not
    /// exist (`not-found`), a line another consumer holds (`busy`, with the holder's name), one physical
    /// line named twice through different addresses, or missing rights (`permission-denied`).
    public init(inputs: [GPIOLineSpec], outputs: [GPIOLineSpec], consumer: String = "crossguard") throws(HardwareError) {
        inputCount = inputs.count
        outputCount = outputs.count
        var seen: [String: String] = [:]  // "chip path:offset" -> role
        func resolve(_ spec: GPIOLineSpec) throws(HardwareError) -> (chip: String, offset: UInt32) {
            var path = [CChar](repeating: 0, count: 256)
            var error = [CChar](repeating: 0, count: 256)
            var offset: UInt32 = 0
            let code = cg_find_line(spec.chip, spec.name, Int32(spec.offset ?? -1), &path, path.count, &offset, &error, error.count)
            guard code == 0 else { throw Self.error(-code, "\(spec.role): line \(spec.address)", cString(error)) }
            let chip = cString(path)
            let key = "\(chip):\(offset)"
            if let other = seen[key] {
                throw HardwareError(.other, "\(spec.role): line \(spec.address) is \(chip) line \(offset), already used by \(other)")
            }
            seen[key] = spec.role
            return (chip, offset)
        }
        let resolvedInputs = try inputs.map { (spec) throws(HardwareError) in try resolve(spec) }
        let resolvedOutputs = try outputs.map { (spec) throws(HardwareError) in try resolve(spec) }
        do {
            outputGroups = try Self.request(outputs, resolvedOutputs, consumer: consumer, asOutputs: true)
            inputGroups = try Self.request(inputs, resolvedInputs, consumer: consumer, asOutputs: false)
        } catch {
            release()
            throw error
        }
    }

    deinit { release() }

    public func sampleInputs(into samples: inout [LineSample]) throws(HardwareError) {
        for group in inputGroups {
            let n = group.indices.count
            for i in 0..<n { group.edges[i] = 0 }
            let drained = cg_drain_edges(group.request, group.edges)
            if drained < 0 { throw Self.error(-drained, "reading edge events", nil) }
            let code = cg_get_values(group.request, group.values)
            if code != 0 { throw Self.error(-code, "reading inputs", nil) }
            for i in 0..<n {
                samples[group.indices[i]] = LineSample(level: group.values[i] != 0, edges: UInt8(min(group.edges[i], 255)))
            }
        }
    }

    public func writeOutputs(_ levels: [Bool]) throws(HardwareError) {
        for group in outputGroups {
            for i in 0..<group.indices.count { group.values[i] = levels[group.indices[i]] ? 1 : 0 }
            let code = cg_set_values(group.request, group.values)
            if code != 0 { throw Self.error(-code, "writing outputs", nil) }
        }
    }

    /// One request per chip (and per CG_MAX_LINES lines), in the board's order within each.
    private static func request(_ specs: [GPIOLineSpec], _ resolved: [(chip: String, offset: UInt32)], consumer: String,
                                asOutputs: Bool) throws(HardwareError) -> [Group] {
        var chips: [String] = []
        var byChip: [String: [Int]] = [:]
        for (i, r) in resolved.enumerated() {
            if byChip[r.chip] == nil { chips.append(r.chip) }
            byChip[r.chip, default: []].append(i)
        }
        var groups: [Group] = []
        do throws(HardwareError) {
            for chip in chips {
                let all = byChip[chip]!
                for start in stride(from: 0, to: all.count, by: Int(CG_MAX_LINES)) {
                    let indices = Array(all[start..<min(start + Int(CG_MAX_LINES), all.count)])
                    let settings = indices.map { i in
                        cg_line_settings(offset: resolved[i].offset, active_low: specs[i].activeLow ? 1 : 0,
                                         bias: bias(specs[i].bias), initial: 0)
                    }
                    var errorNumber: Int32 = 0
                    var message = [CChar](repeating: 0, count: 256)
                    let request = asOutputs
                        ? cg_request_outputs(chip, consumer, UInt32(indices.count), settings, &errorNumber, &message, message.count)
                        : cg_request_inputs(chip, consumer, UInt32(indices.count), settings, &errorNumber, &message, message.count)
                    guard let request else {
                        let roles = indices.map { specs[$0].role }.joined(separator: ", ")
                        throw Self.error(errorNumber, "requesting \(asOutputs ? "outputs" : "inputs") \(roles)", cString(message))
                    }
                    let values = UnsafeMutablePointer<Int32>.allocate(capacity: indices.count)
                    values.initialize(repeating: 0, count: indices.count)
                    let edges = UnsafeMutablePointer<UInt32>.allocate(capacity: indices.count)
                    edges.initialize(repeating: 0, count: indices.count)
                    groups.append(Group(request: request, indices: indices, values: values, edges: edges))
                }
            }
        } catch {
            for g in groups { free(g) }
            throw error
        }
        return groups
    }

    private static func bias(_ b: GPIOLineSpec.Bias) -> Int32 {
        switch b {
        case .asIs: CG_BIAS_AS_IS
        case .disabled: CG_BIAS_DISABLED
        case .pullUp: CG_BIAS_PULL_UP
        case .pullDown: CG_BIAS_PULL_DOWN
        }
    }

    private static func free(_ g: Group) {
        cg_release(g.request)
        g.values.deallocate()
        g.edges.deallocate()
    }

    private func release() {
        for g in inputGroups + outputGroups { Self.free(g) }
        inputGroups = []
        outputGroups = []
    }

    /// The one place errno becomes a kind for GPIO.
    static func error(_ code: Int32, _ what: String, _ shimMessage: String?) -> HardwareError {
        let kind: HardwareErrorKind = switch code {
        case ENOENT, ENODEV, ENXIO: .notFound
        case EBUSY: .busy
        case EACCES, EPERM: .permissionDenied
        case ETIMEDOUT: .timeout
        case EIO: .busFault
        default: .other
        }
        let detail = shimMessage.flatMap { $0.isEmpty ? nil : $0 } ?? String(cString: strerror(code))
        let hint = kind == .permissionDenied ? " (the user needs group gpio or the rules in udev/)" : ""
        return HardwareError(kind, "\(what): \(detail)\(hint)", errno: code)
    }
}
