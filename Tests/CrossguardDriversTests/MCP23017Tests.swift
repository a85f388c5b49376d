import CrossguardDrivers
import CrossguardHAL
import Testing

private typealias Expander = MCP23017<ScriptedI2CBus>

@Suite("MCP23017")
struct MCP23017Tests {
    /// GPA0–GPA6 inputs, GPA0–GPA3 pulled up and inverted (active-low buttons), outputs GPB0 and GPB7
    /// latched high before the direction register makes them outputs. Words: A first on the wire.
    @Test func configureLatchesOutputsBeforeMakingThemOutputs() throws {
        let bus = ScriptedI2CBus([
            .write(0x21, 0x0A, 0x00),                     // IOCON: BANK 0, SEQOP 0
            .writeWord(0x21, 0x14, wire: [0x00, 0x81]),   // OLATA, OLATB
            .writeWord(0x21, 0x02, wire: [0x0F, 0x00]),   // IPOLA, IPOLB
            .writeWord(0x21, 0x0C, wire: [0x0F, 0x00]),   // GPPUA, GPPUB
            .writeWord(0x21, 0x00, wire: [0x7F, 0x00]),   // IODIRA, IODIRB
        ])
        try Expander(bus: bus, address: 0x21).configure(inputs: 0x007F, pullUps: 0x000F, invertedInputs: 0x000F, outputLevels: 0x8100)
        bus.finish()
    }

    @Test func configureDefaultsToNoPullUpsNoInversionOutputsLow() throws {
        let bus = ScriptedI2CBus([
            .write(0x20, 0x0A, 0x00),
            .writeWord(0x20, 0x14, wire: [0x00, 0x00]),
            .writeWord(0x20, 0x02, wire: [0x00, 0x00]),
            .writeWord(0x20, 0x0C, wire: [0x00, 0x00]),
            .writeWord(0x20, 0x00, wire: [0x00, 0x7F]),   // GPB0–GPB6 inputs
        ])
        try Expander(bus: bus).configure(inputs: 0x7F00)
        bus.finish()
    }

    @Test(arguments: [UInt16(0x0080), 0x8000, 0xFFFF])
    func gpa7AndGpb7AreRefusedAsInputs(inputs: UInt16) {
        let bus = ScriptedI2CBus([])
        let error = hardwareError { () throws(HardwareError) in try Expander(bus: bus).configure(inputs: inputs) }
        #expect(error?.kind == .other)
        #expect(error?.detail.contains("0x20") == true)
        bus.finish()  // refused before any transfer
    }

    @Test func readLinesReadsBothPortsInOneTransfer() throws {
        let bus = ScriptedI2CBus([.readWord(0x20, 0x12, wire: [0xA5, 0x3C])])   // GPIOA 0xA5, GPIOB 0x3C
        #expect(try Expander(bus: bus).readLines() == 0x3CA5)
        bus.finish()
    }

    @Test func readDirectionsReadsBothDirectionRegistersInOneTransfer() throws {
        let bus = ScriptedI2CBus([.readWord(0x20, 0x00, wire: [0x7F, 0xFE])])   // IODIRA 0x7F, IODIRB 0xFE
        #expect(try Expander(bus: bus).readDirections() == 0xFE7F)
        bus.finish()
    }

    @Test func writeOutputsWritesBothLatchesInOneTransfer() throws {
        let bus = ScriptedI2CBus([.writeWord(0x27, 0x14, wire: [0x34, 0x12])])  // OLATA 0x34, OLATB 0x12
        try Expander(bus: bus, address: 0x27).writeOutputs(0x1234)
        bus.finish()
    }

    @Test func noAcknowledgeAtConfigurePropagatesItsKindAndStops() {
        let bus = ScriptedI2CBus([.fail(0x20, .writeByte(register: 0x0A, value: 0x00), nack)])
        let error = hardwareError { () throws(HardwareError) in try Expander(bus: bus).configure(inputs: 0x0001) }
        #expect(error == nack)
        bus.finish()
    }

    @Test func noAcknowledgeMidReadPropagatesItsKind() {
        let bus = ScriptedI2CBus([.fail(0x20, .readWord(register: 0x12), nack)])
        let error = hardwareError { () throws(HardwareError) in _ = try Expander(bus: bus).readLines() }
        #expect(error == nack)
        bus.finish()
    }
}
