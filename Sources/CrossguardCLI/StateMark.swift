import CrossguardHAL
import CrossguardLinux

/// The mark in the state directory (`state-format`) that says which format its files are in and which
/// version last wrote them. A binary meets a directory written by a newer format after a rollback; it
/// then refuses to start and changes nothing, so the newer outbox's unsent events are never read wrongly
/// or discarded.
public enum StateMark {
    /// The format of the outbox, cursor, sequence and latch files this binary writes. Raise it when a
    /// change to any of them cannot be read by the binaries before it.
    public static let format = 1
    /// The mark's file name in the state directory.
    public static let fileName = "state-format"
    /// The exit status of a start refused by the mark (EX_CONFIG of sysexits.h): the unit names it in
    /// RestartPreventExitStatus=, so systemd does not start the refused binary again every two seconds.
    public static let refusalExitStatus: Int32 = 78

    /// What a mark's text says about a directory, for this binary.
    public enum Reading: Equatable, Sendable {
        /// The format this binary writes; `writtenBy` is the version that wrote the mark.
        case current(writtenBy: String)
        /// A later format: this binary must not touch the directory.
        case newer(format: Int, writtenBy: String)
        /// Not a mark this binary understands (the reason, for the message).
        case unreadable(String)
    }

    /// Reads a mark's text: `format N` on the first line, `written-by crossguard V` on the second.
    public static func read(_ text: String) -> Reading {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, first.hasPrefix("format "), let n = Int(first.dropFirst("format ".count)), n >= 1 else {
            return .unreadable("its first line is not \"format N\" with N a whole number from 1")
        }
        let writer = lines.dropFirst().first.flatMap { $0.hasPrefix("written-by ") ? String($0.dropFirst("written-by ".count)) : nil }
            ?? "an unnamed version"
        return n > format ? .newer(format: n, writtenBy: writer) : .current(writtenBy: writer)
    }

    /// Why a state directory is not used, with what to do about it.
    public struct Refusal: Error, Equatable, CustomStringConvertible {
        /// What stopped the start.
        public enum Kind: Sendable, Equatable {
            /// Written by a later state format than this binary's.
            case newerFormat
            /// The mark is there but is not one this binary understands.
            case unreadableMark
            /// The mark could not be read at all (permissions, I/O).
            case cannotRead
        }
        /// What stopped the start.
        public var kind: Kind
        /// The sentence for the log: the directory, what is wrong, what to do.
        public var message: String
        /// The message, as logged.
        public var description: String { message }
    }

    /// The mark this binary writes.
    public static var text: String { "format \(format)\nwritten-by crossguard \(firmwareVersion)\n" }

    /// Checks the mark of `directory` before anything in it is read, and writes this binary's own when it is
    /// missing or names another version of the same format. A directory that cannot take the write is
    /// logged, not refused: the daemon rides through a read-only state directory. Throws a refusal that says
    /// what to do when the directory is of a newer format or its mark is unreadable; the directory is then
    /// left exactly as it was.
    public static func claim(directory: String, log: (String) -> Void) throws(Refusal) {
        let record = FileRecord(directory: directory, name: fileName)
        let path = record.location
        let bytes: [UInt8]?
        do { bytes = try record.read() } catch { throw Refusal(kind: .cannotRead, message: error.detail + "; nothing in \(directory) was changed") }
        if let bytes {
            switch read(String(decoding: bytes, as: UTF8.self)) {
            case .current(let writer):
                if writer == "crossguard \(firmwareVersion)" { return }
            case .newer(let n, let writer):
                throw Refusal(kind: .newerFormat, message: "state directory \(directory) is in state format \(n), written by \(writer); this crossguard \(firmwareVersion) reads format \(format) only, so it changes nothing there. Install \(writer) or newer again (the directory's outbox may hold unsent events), or move the directory away to start with an empty one")
            case .unreadable(let why):
                throw Refusal(kind: .unreadableMark, message: "\(path) is not a state mark crossguard knows (\(why)); nothing in \(directory) was changed. If this directory is Crossguard's, the version that wrote it reads it: install that again, or move the directory away to start with an empty one")
            }
        }
        do {
            try record.write(Array(text.utf8))
        } catch {
            log("state: cannot write \(path): \(error.detail); the files there are taken as format \(format)")
        }
    }
}
