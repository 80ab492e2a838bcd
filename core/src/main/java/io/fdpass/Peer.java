package io.fdpass;

/**
 * The process at the other end of a connection, as the kernel reported it when it connected
 * (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS).
 *
 * <p>These are the credentials of the process that called {@code connect(2)}; a descriptor of the socket may have
 * been passed on since. The pid is informational: it can be reused once that process exits.
 *
 * @param uid the peer's effective user id
 * @param gid the peer's effective group id
 * @param pid the peer's process id, or 0 where the platform does not report it
 */
public record Peer(int uid, int gid, int pid) {
    @Override
    public String toString() {
        return "uid=" + Integer.toUnsignedString(uid) + " gid=" + Integer.toUnsignedString(gid) + " pid=" + pid;
    }
}
