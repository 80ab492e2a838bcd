package io.fdpass;

import java.util.Arrays;

/** {@link AccessPolicy#uids(int...)}: the listed users have every name, the others none, refused at connect. */
final class UidPolicy implements AccessPolicy {
    private final int[] uids;

    UidPolicy(int[] uids) {
        this.uids = uids;
    }

    @Override
    public boolean allows(Peer peer, String name) {
        return admits(peer);
    }

    @Override
    public boolean admits(Peer peer) {
        for (int uid : uids) {
            if (uid == peer.uid()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "AccessPolicy.uids" + Arrays.toString(uids);
    }
}
