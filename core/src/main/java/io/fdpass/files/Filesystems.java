package io.fdpass.files;

import io.fdpass.internal.FileStat;
import io.fdpass.internal.Platform;

/**
 * What the file source needs to know of a filesystem, by its type: whether opens on it are quick (it is local), and
 * whether it is a pseudo filesystem, whose "regular files" are views of processes and of the kernel: never served
 * (protocol v1, "Mounts beneath the root").
 */
final class Filesystems {
    /** procfs's {@code f_type}. */
    static final long PROC = 0x9FA0;

    private Filesystems() {
    }

    /** Whether opens beneath {@code fd} may stall: unless its filesystem is known to be local, see isLocal. */
    static boolean mayBlock(int fd) {
        if (Platform.DARWIN) {
            String name = FileStat.fstatfsTypeName(fd);
            return name == null || !isLocal(name);
        }
        long type = FileStat.fstatfsType(fd);
        return type < 0 || !isLocal(type);
    }

    /** Whether {@code fd} is on a pseudo filesystem; so too if fstatfs fails, which leaves nothing known of it. */
    static boolean isPseudo(int fd) {
        if (Platform.DARWIN) {
            String name = FileStat.fstatfsTypeName(fd);
            return name == null || isPseudo(name);
        }
        long type = FileStat.fstatfsType(fd);
        return type < 0 || isPseudo(type);
    }

    /** The filesystem type of {@code fd} for messages: a name on macOS, a magic number on Linux. */
    static String describe(int fd) {
        if (Platform.DARWIN) {
            return String.valueOf(FileStat.fstatfsTypeName(fd));
        }
        long type = FileStat.fstatfsType(fd);
        return type < 0 ? "unknown" : "0x" + Long.toHexString(type);
    }

    /**
     * Whether opens on this filesystem complete in microseconds, from the page cache or a local disk: then running
     * them on the event loop costs less than a hop to another thread. Network and FUSE filesystems (NFS, SMB,
     * 9p, Ceph, sshfs...) can stall an open for seconds, which must not stall the loop's other connections; so can
     * filesystems not listed, for all we know.
     */
    static boolean isLocal(long fsType) {
        if (fsType != (fsType & 0xFFFFFFFFL)) {
            return false; // magic numbers have 32 bits
        }
        return switch ((int) fsType) {
            case 0xEF53, // ext2, ext3, ext4
                 0x58465342, // xfs
                 0x9123683E, // btrfs
                 0x01021994, // tmpfs
                 0x858458F6, // ramfs
                 0x794C7630, // overlayfs (of local layers, in practice: container images)
                 0x2FC12FC1, // zfs
                 0xF2F52010, // f2fs
                 0xCA451A4E, // bcachefs
                 0xE0F5E1E2, // erofs
                 0x73717368, // squashfs
                 0x3153464A, // jfs
                 0x52654973, // reiserfs
                 0x4D44, // vfat, msdos
                 0x2011BAB0 // exfat
                    -> true;
            default -> false;
        };
    }

    /**
     * {@link #isLocal(long)} on macOS, by {@code f_fstypename}: its filesystem type numbers only say in which order
     * the filesystems registered. The kernel's own disk filesystems are local; anything else may block: network
     * filesystems (nfs, smbfs, afpfs, webdav), macFUSE and FSKit filesystems served by a process, and, for all we
     * know, any filesystem not listed.
     */
    static boolean isLocal(String fsTypeName) {
        return switch (fsTypeName) {
            case "apfs", "hfs" -> true;
            default -> false;
        };
    }

    /**
     * Whether a filesystem of this type ({@code f_type}, from {@code <linux/magic.h>} or the kernel source where
     * the header has none) is a pseudo filesystem: one that the kernel makes up from its own state, whose files
     * read as processes' memory and environment (proc), devices and drivers (sysfs, debugfs, tracefs), security
     * policy, control groups, BPF objects, firmware variables, message queues, terminals (devpts), or kernel
     * objects reached only through magic links (nsfs, pipefs, sockfs, anonymous inodes).
     *
     * <p>Not listed, since their files hold data that someone wrote there, as on a disk: tmpfs, ramfs and hugetlbfs
     * (a process's data in huge pages, not a view of the kernel). devtmpfs cannot be listed: it reports tmpfs's
     * magic (checked on Linux 6.18); its device nodes are refused by their type, as everywhere, and a regular file
     * there is one that root put there, as on any tmpfs.
     */
    static boolean isPseudo(long fsType) {
        if (fsType != (fsType & 0xFFFFFFFFL)) {
            return false;
        }
        return switch ((int) fsType) {
            case 0x9FA0, // proc
                 0x62656572, // sysfs
                 0x64626720, // debugfs
                 0x74726163, // tracefs
                 0x73636673, // securityfs
                 0xF97CFF8C, // selinuxfs
                 0x43415D53, // smackfs
                 0x5A3C69F0, // apparmorfs
                 0x27E0EB, // cgroup
                 0x63677270, // cgroup2
                 0x7655821, // resctrl
                 0xCAFE4A11, // bpf
                 0x6165676C, // pstore
                 0x62656570, // configfs (fs/configfs/mount.c)
                 0xDE5E81E4, // efivarfs
                 0x65735543, // fusectl (fs/fuse/control.c)
                 0x42494E4D, // binfmt_misc
                 0x1CD1, // devpts
                 0x19800202, // mqueue (ipc/mqueue.c)
                 0x9FA1, // openpromfs
                 0x9FA2, // usbdevfs
                 0x6C6F6F70, // binderfs
                 0xABBA1974, // xenfs
                 0x0187, // autofs: automount points, with nothing of their own to serve
                 0x6E736673, // nsfs
                 0x50495045, // pipefs
                 0x534F434B, // sockfs
                 0x09041934, // anonymous inodes
                 0x444D4142, // dma-buf
                 0x5345434D // secretmem
                    -> true;
            default -> false;
        };
    }

    /**
     * {@link #isPseudo(long)} on macOS, by {@code f_fstypename}: devfs ({@code /dev}, devices only, which are
     * refused by their type anyway), fdesc ({@code /dev/fd}, the process's own descriptors) and autofs.
     */
    static boolean isPseudo(String fsTypeName) {
        return switch (fsTypeName) {
            case "devfs", "fdesc", "autofs" -> true;
            default -> false;
        };
    }
}
