import CrossguardHAL
import Testing

/// The mock itself must be able to fail, or every driver test that relies on it proves nothing.
@Suite("ScriptedI2CBus")
struct ScriptedI2CBusTests {
    @Test func playsTheScriptInOrder() throws {
        let bus = ScriptedI2CBus([.read(0x29, 0xC0, 0xEE), .write(0x29, 0x0B, 0x01)])
        #expect(try bus.readByte(0x29, register: 0xC0) == 0xEE)
        try bus.writeByte(0x29, register: 0x0B, 0x01)
        #expect(bus.played == 2)
        bus.finish()
    }

    @Test func wrongAddressIsAFailure() {
        let bus = ScriptedI2CBus([.read(0x29, 0xC0, 0xEE)])
        withKnownIssue {
            _ = try? bus.readByte(0x30, register: 0xC0)
        }
        withKnownIssue { bus.finish() }  // the step was not consumed, so it is left over too
    }

    @Test func wrongOperationIsAFailure() {
        let bus = ScriptedI2CBus([.write(0x40, 0x00, 0x01)])
        withKnownIssue {
            _ = try? bus.readByte(0x40, register: 0x00)
        }
        withKnownIssue { bus.finish() }
    }

    @Test func transferBeyondTheScriptIsAFailure() {
        let bus = ScriptedI2CBus([])
        withKnownIssue {
            try? bus.sendByte(0x70, 0x21)
        }
        bus.finish()
    }

    @Test func leftoverStepsAreAFailure() {
        let bus = ScriptedI2CBus([.send(0x70, 0x21), .send(0x70, 0x81)])
        try? bus.sendByte(0x70, 0x21)
        withKnownIssue { bus.finish() }
    }

    @Test func droppingTheBusWithLeftoversIsAFailureEvenWithoutFinish() {
        withKnownIssue {
            let bus = ScriptedI2CBus([.send(0x70, 0x21)])
            _ = bus.played
        }
    }

    @Test func scriptedErrorsAreThrownWithTheirKind() {
        let bus = ScriptedI2CBus([.fail(0x40, .readWord(register: 0x01), nack)])
        let error = hardwareError { () throws(HardwareError) in _ = try bus.readBigEndianWord(0x40, register: 0x01) }
        #expect(error?.kind == .noAcknowledge)
        bus.finish()
    }
}
