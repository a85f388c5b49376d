// swift-tools-version:6.1
// Crossguard: controller for smart pedestrian crossings and SOS posts.
// Module map and import direction: docs/architecture.md.
import PackageDescription

/// The pure core and its tests are small and hot: optimizing them in debug builds keeps the exhaustive
/// state exploration in seconds. Assertions and overflow checks stay on (-O keeps them; -Ounchecked would not).
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Crossguard",
    products: [
        .executable(name: "crossguard", targets: ["crossguard"]),
        .executable(name: "crossguard-load", targets: ["crossguard-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
    ],
    targets: [
        // Pure: stdlib only. Ticks, config value types and validation, controllers, events.
        // Optimized in debug builds too: the exhaustive exploration steps it millions of times.
        .target(
            name: "CrossguardCore", swiftSettings: optimizedInDebug,
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]  // rounding in validation
        ),
        // Capability protocols for lines and buses; stdlib only.
        .target(name: "CrossguardHAL"),
        // I2C device drivers (ToF presence, lamp current, lux, GPIO expander, countdown display), generic over I2CBus.
        .target(name: "CrossguardDrivers", dependencies: ["CrossguardHAL"]),
        // TOML text into the core's ConfigTable (the only place that knows TOML). Its own TOML 1.0 reader,
        // stdlib only: TOMLKit 0.6.0 imports Foundation, which linked ICU into the daemon.
        .target(name: "CrossguardTOML", dependencies: ["CrossguardCore"]),
        // Simulated board, scenarios, trace and bench screen.
        .target(name: "CrossguardSim", dependencies: ["CrossguardCore", "CrossguardHAL", "CrossguardRuntime"]),
        // Tick loop and wiring of HAL <-> core. Never imports CrossguardLinux.
        .target(
            name: "CrossguardRuntime",
            dependencies: [
                "CrossguardCore", "CrossguardHAL", "CrossguardDrivers", "CrossguardUplink",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // MQTT 3.1.1 codec and session (pure; the SwiftNIO transport is a separate target, so these tests stay light).
        .target(name: "CrossguardUplink", dependencies: ["CrossguardCore", "CrossguardHAL"]),
        // The uplink's network side: SwiftNIO and TLS. Only the executable and the integration tests build it.
        .target(
            name: "CrossguardUplinkNIO",
            dependencies: [
                "CrossguardCore", "CrossguardHAL", "CrossguardLinux", "CrossguardRuntime", "CrossguardUplink",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // prctl and ioctl wrappers (variadic in C, so Swift cannot call them): timer slack, the watchdog.
        .target(name: "CLinuxShim"),
        // libgpiod 1.x or 2.x behind one small C API (the shim picks the API from the gpiod.h it is compiled
        // against; apt libgpiod-dev). Build against 2.x with -Xcc -I<dir>/usr/include -Xlinker -L<dir>/usr/lib/<triple>.
        .target(name: "CGPIOD", linkerSettings: [.linkedLibrary("gpiod", .when(platforms: [.linux]))]),
        // libi2c's SMBus calls and the i2c-dev ioctls behind a small C API (apt libi2c-dev).
        .target(name: "CI2C", linkerSettings: [.linkedLibrary("i2c", .when(platforms: [.linux]))]),
        // The only module that talks to the kernel: clocks, terminal, state files, real-time set-up, watchdog,
        // sd_notify, GPIO lines and I2C buses.
        .target(name: "CrossguardLinux", dependencies: ["CrossguardHAL", "CLinuxShim", "CGPIOD", "CI2C"]),
        // The command line: options, subcommands and --help, standard library only (swift-argument-parser
        // links FoundationEssentials, 6.2 MB of the static binary with what it brings).
        .target(name: "CrossguardArguments"),
        // What the command-line tools share: the device and uplink options and starting the uplink.
        .target(
            name: "CrossguardCLI",
            dependencies: [
                "CrossguardArguments", "CrossguardCore", "CrossguardTOML", "CrossguardRuntime", "CrossguardLinux", "CrossguardUplink", "CrossguardUplinkNIO"
            ]
        ),
        .executableTarget(
            name: "crossguard",
            dependencies: [
                "CrossguardArguments", "CrossguardCLI", "CrossguardCore", "CrossguardHAL", "CrossguardTOML", "CrossguardSim",
                "CrossguardRuntime", "CrossguardLinux", "CrossguardUplink", "CrossguardUplinkNIO"
            ]
        ),
        // The load tools of the integration tests and benchmarks, out of the production binary.
        .executableTarget(
            name: "crossguard-load",
            dependencies: [
                "CrossguardArguments", "CrossguardCLI", "CrossguardCore", "CrossguardRuntime", "CrossguardLinux", "CrossguardUplink"
            ]
        ),
        .testTarget(name: "CrossguardCoreTests", dependencies: ["CrossguardCore", "CrossguardTOML", "CrossguardArguments"], swiftSettings: optimizedInDebug),
        .testTarget(
            name: "CrossguardSimTests",
            dependencies: ["CrossguardCore", "CrossguardHAL", "CrossguardSim", "CrossguardRuntime", "CrossguardTOML"],
            exclude: ["Fixtures"]  // golden traces, read by path
        ),
        .testTarget(name: "CrossguardDriversTests", dependencies: ["CrossguardDrivers", "CrossguardHAL"]),
        // What several test targets share: the JSON Schema checker that holds payloads to schemas/.
        .target(name: "CrossguardTestSupport", path: "Tests/CrossguardTestSupport"),
        .testTarget(name: "CrossguardUplinkTests", dependencies: ["CrossguardUplink", "CrossguardHAL", "CrossguardLinux", "CrossguardTestSupport"]),
        // Processes only (the built `crossguard`, mosquitto, mosquitto_sub): no NIO in this target.
        .testTarget(
            name: "CrossguardIntegrationTests", dependencies: ["crossguard", "crossguard-load", "CrossguardTestSupport"],
            exclude: ["Fixtures"]  // expected reports, read by path
        ),
        .testTarget(
            name: "CrossguardRuntimeTests",
            dependencies: ["CrossguardCore", "CrossguardHAL", "CrossguardSim", "CrossguardRuntime", "CrossguardLinux", "CrossguardUplink"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
