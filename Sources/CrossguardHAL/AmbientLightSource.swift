/// An ambient light reading for night logic (a VEML7700 polled on its own thread, or the simulator).
/// The tick asks for the newest sample and never waits for the sensor.
public protocol AmbientLightSource: AnyObject {
    /// The newest reading in lux, nil when the sensor has not answered (recently).
    func latestLux() -> Double?
}
