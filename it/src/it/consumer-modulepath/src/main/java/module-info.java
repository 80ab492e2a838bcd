/**
 * The consumer as a named module: fdpass-core's io.fdpass; the transports of fdpass-epoll and fdpass-io_uring found by
 * their service.
 */
module consumer {
    requires io.fdpass;
}
