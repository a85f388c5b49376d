import Glibc

/// A broker's name turned into addresses (`getaddrinfo`), for diag's DNS check: it needs the resolver's own
/// words when a lookup fails, and every address a name has, which a connecting library does not give.
public enum HostLookup {
    /// Why a name has no address: the resolver's sentence (`gai_strerror`), e.g. "Name or service not known".
    public struct Failure: Error, Equatable, Sendable {
        /// The `EAI_*` code.
        public var code: Int32
        public var message: String
    }

    /// True when `host` is an IPv4 or IPv6 address, which needs no lookup.
    public static func isAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// The TCP addresses of `host`, as text, in the resolver's order and without repeats. Blocks for as long
    /// as the resolver takes (its own timeouts, /etc/resolv.conf).
    public static func addresses(of host: String) -> Result<[String], Failure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, nil, &hints, &list)
        guard code == 0 else { return .failure(Failure(code: code, message: String(cString: gai_strerror(code)))) }
        defer { freeaddrinfo(list) }
        var found: [String] = []
        var next = list
        while let entry = next {
            if let text = addressText(entry.pointee), !found.contains(text) { found.append(text) }
            next = entry.pointee.ai_next
        }
        return found.isEmpty ? .failure(Failure(code: EAI_NONAME, message: "no IPv4 or IPv6 address")) : .success(found)
    }

    private static func addressText(_ entry: addrinfo) -> String? {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok: Bool
        switch entry.ai_family {
        case AF_INET:
            ok = entry.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a in
                var addr = a.pointee.sin_addr
                return inet_ntop(AF_INET, &addr, &text, socklen_t(text.count)) != nil
            }
        case AF_INET6:
            ok = entry.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a in
                var addr = a.pointee.sin6_addr
                return inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count)) != nil
            }
        default:
            ok = false
        }
        return ok ? String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }
}
