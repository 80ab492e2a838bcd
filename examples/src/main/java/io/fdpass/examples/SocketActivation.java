package io.fdpass.examples;

import java.util.List;

/**
 * systemd's socket activation protocol (sd_listen_fds(3)): a service started for a socket finds it open as
 * descriptor 3, with {@code LISTEN_PID} naming the process it is meant for and {@code LISTEN_FDS} how many
 * descriptors follow from 3 on; {@code LISTEN_FDNAMES} names them (the unit's {@code FileDescriptorName=}).
 */
final class SocketActivation {
    /** The first descriptor passed, per the protocol. */
    static final int LISTEN_FDS_START = 3;
    /** The name the example's unit gives its socket, when it gives several. */
    static final String NAME = "fdpass";

    private SocketActivation() {
    }

    /** The listening socket handed over for this process, or -1 when none was. */
    static int listeningSocket() {
        String pid = System.getenv("LISTEN_PID");
        String count = System.getenv("LISTEN_FDS");
        if (pid == null || count == null || !pid.equals(Long.toString(ProcessHandle.current().pid()))) {
            return -1; // not meant for us: a parent's, inherited by accident
        }
        int fds = Integer.parseInt(count);
        if (fds < 1) {
            return -1;
        }
        String names = System.getenv("LISTEN_FDNAMES");
        if (names != null) {
            List<String> each = List.of(names.split(":"));
            int named = each.indexOf(NAME);
            if (named >= 0 && named < fds) {
                return LISTEN_FDS_START + named;
            }
        }
        return LISTEN_FDS_START;
    }
}
