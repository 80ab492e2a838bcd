# Sourced by the bench scripts for --root-mount nodev|dev: puts $TMPDIR on a tmpfs of its own, mounted nodev or
# not, so that the root each benchmark makes under it (compare.sh's, bench-clients.sh's) is on that kind of mount,
# both of them tmpfs: on a nodev root the file source opens at once and checks the type after (protocol v1,
# "Opening", way 2), elsewhere it resolves the type first. Needs root, to mount.
#
#   root_mount NAME KIND   mounts and exports TMPDIR (ROOT_MOUNT_DIR is the mount point); NAME is for messages
#   root_unmount           unmounts and removes it (from the EXIT trap); nothing if root_mount did not mount
ROOT_MOUNT_DIR=""

root_mount() {
    local name=$1 kind=$2 options
    case $kind in
        nodev) options=nodev,nosuid ;;
        dev) options=nosuid ;;
        *) echo "$name: --root-mount: nodev or dev, not '$kind'" >&2; return 2 ;;
    esac
    if [[ $(id -u) != 0 ]]; then
        echo "$name: --root-mount needs root (it mounts a tmpfs)" >&2
        return 2
    fi
    ROOT_MOUNT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fdpass-root-$kind.XXXXXX") || return 1
    if ! mount -t tmpfs -o "$options,mode=0755,size=1g" tmpfs "$ROOT_MOUNT_DIR"; then
        rmdir "$ROOT_MOUNT_DIR"
        ROOT_MOUNT_DIR=""
        return 1
    fi
    export TMPDIR=$ROOT_MOUNT_DIR
    echo "$name: root on a tmpfs mounted $options at $ROOT_MOUNT_DIR" >&2
}

root_unmount() {
    [[ -n $ROOT_MOUNT_DIR ]] || return 0
    umount "$ROOT_MOUNT_DIR" 2>/dev/null || umount -l "$ROOT_MOUNT_DIR"
    rmdir "$ROOT_MOUNT_DIR"
    ROOT_MOUNT_DIR=""
}
