import CrossguardUplink
import NIOCore

/// Feeds the connection's bytes to the pure `MQTTStreamReader` as they arrive and passes on what it finds:
/// whole packets, and oversized PUBLISHes whose payload it skipped. A broken stream is an error, which
/// closes the connection.
final class MQTTStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = MQTTInbound
    private var reader: MQTTStreamReader
    private var failed = false

    init(maximumPacketSize: Int) { reader = MQTTStreamReader(maximumPacketSize: maximumPacketSize) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let buffer = unwrapInboundIn(data)
        do {
            for inbound in try reader.feed(buffer.readableBytesView) { context.fireChannelRead(wrapInboundOut(inbound)) }
        } catch {
            failed = true
            context.fireErrorCaught(error)
        }
    }
}

/// Hands packets, errors and the end of the connection to the transport, on the channel's event loop.
final class MQTTInboundHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTInbound
    private let connection: NIOConnection
    private let generation: UInt64

    init(connection: NIOConnection, generation: UInt64) {
        self.connection = connection
        self.generation = generation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.received(unwrapInboundIn(data), generation: generation)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection.readComplete(generation: generation)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.connectionEnded(generation: generation, reason: "the broker closed the connection")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        connection.connectionEnded(generation: generation, reason: UplinkService.describe(error))
        context.close(promise: nil)
    }
}

/// The read end of the feed's doorbell pipe: each read means the tick left events or a command's outcome.
final class DoorbellHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let rang: () -> Void

    init(rang: @escaping () -> Void) { self.rang = rang }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelReadComplete(context: ChannelHandlerContext) { rang() }
}
