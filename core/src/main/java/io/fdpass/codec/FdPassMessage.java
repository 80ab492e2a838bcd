package io.fdpass.codec;

/** A protocol v1 frame, decoded or to be encoded. Descriptors travel beside frames, as Netty's FileDescriptor. */
public sealed interface FdPassMessage permits FdPassHello, FdPassRequest, FdPassReply, FdPassError {
}
