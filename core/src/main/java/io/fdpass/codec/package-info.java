/**
 * Protocol v1 on the wire, and nothing else: its messages, its numbers ({@link io.fdpass.codec.FdPassProtocol}),
 * one decoder and one encoder per direction, and the {@link io.fdpass.codec.FdPassServerCodec} and
 * {@link io.fdpass.codec.FdPassClientCodec} that pair them, in the manner of Netty's own codecs. Usable without the
 * rest of fdpass: descriptors travel beside the frames as Netty's {@code FileDescriptor}. It makes no system call and
 * looks nothing up itself: what the client's decoder does on its socket beyond Netty's reads (taking descriptor
 * messages, waiting for them) goes through the {@link io.fdpass.codec.FdPassSocketReader} that its channel's
 * transport hands it.
 *
 * <p>The API is 0.x: it may still change between minor versions.
 */
package io.fdpass.codec;
