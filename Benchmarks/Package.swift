// swift-tools-version:6.1
// Benchmarks for Crossguard, kept out of the main package so its build and CI do not pay for them.
// `swift package benchmark` here runs them (ordo-one/benchmark); `step-count` is the callgrind driver.
// The core's sources are linked in (Sources/CrossguardCore is a symlink), not copied.
import PackageDescription

let package = Package(
    name: "CrossguardBenchmarks",
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(name: "CrossguardCore", path: "Sources/CrossguardCore", linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]),
        .target(name: "BenchFixtures", dependencies: ["CrossguardCore"], path: "Sources/BenchFixtures"),
        .executableTarget(name: "step-count", dependencies: ["CrossguardCore", "BenchFixtures"], path: "Sources/step-count"),
        .executableTarget(
            name: "CoreStep",
            dependencies: ["CrossguardCore", "BenchFixtures", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/CoreStep",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
