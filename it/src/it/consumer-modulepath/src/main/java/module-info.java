/** The consumer as a named module: fdpass-core's io.fdpass, fdpass-epoll's transport found by its service. */
module consumer {
    requires io.fdpass;
}
