import CrossguardUplink
import NIOCore

/// Cuts the byte stream into MQTT packets with the strict codec. It peeks at the fixed header first, so
/// a packet over the maximum is refused before its bytes are gathered, and only whole packets are copied.
struct MQTTFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = MQTTPacket
    let maximumPacketSize: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let peek = buffer.getBytes(at: buffer.readerIndex, length: min(5, buffer.readableBytes)) ?? []
        guard peek.count >= 2 else { return .needMoreData }
        var total: Int?
        switch try MQTTCodec.decode(peek[...], maximumPacketSize: maximumPacketSize) {
        case .packet(let packet, let consumed):
            buffer.moveReaderIndex(forwardBy: consumed)
            context.fireChannelRead(Self.wrapInboundOut(packet))
            return .continue
        case .needMore:
            // The Remaining Length (1–4 bytes after the first); the codec has checked its form and size.
            var length = 0, multiplier = 1
            for i in 1..<peek.count {
                length += Int(peek[i] & 0x7F) * multiplier
                if peek[i] & 0x80 == 0 {
                    total = 1 + i + length
                    break
                }
                multiplier *= 128
            }
        }
        guard let total, buffer.readableBytes >= total, let bytes = buffer.getBytes(at: buffer.readerIndex, length: total) else { return .needMoreData }
        guard case .packet(let packet, let consumed) = try MQTTCodec.decode(bytes[...], maximumPacketSize: maximumPacketSize) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: consumed)
        context.fireChannelRead(Self.wrapInboundOut(packet))
        return .continue
    }
}

/// Hands packets, errors and the end of the connection to the service, on the channel's event loop.
final class MQTTInboundHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket
    private let service: UplinkService
    private let generation: UInt64

    init(service: UplinkService, generation: UInt64) {
        self.service = service
        self.generation = generation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        service.received(unwrapInboundIn(data), generation: generation)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        service.readComplete(generation: generation)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        service.connectionEnded(generation: generation, reason: "the broker closed the connection")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        service.connectionEnded(generation: generation, reason: UplinkService.describe(error))
        context.close(promise: nil)
    }
}

/// The read end of the feed's doorbell pipe: each read means the tick left events or a command's outcome.
final class DoorbellHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let service: UplinkService

    init(service: UplinkService) { self.service = service }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelReadComplete(context: ChannelHandlerContext) { service.rang() }
}
