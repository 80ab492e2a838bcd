package io.fdpass.internal;

import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/** The structures of macOS that fdpass reads, and the offsets it reads them at. */
final class DarwinStructs {
    /*
     * Darwin's structures, from xnu's headers, for LP64: x86_64 and arm64 share them. They are declared as layouts
     * so that FFM checks every member's alignment (padding left out would fail here, on any OS), and
     * DarwinLayoutTest checks the offsets read below against the header's. Only a run of the tests on macOS
     * (the natives' tests, PortableWalkingOpenerTest and the kqueue behaviour suite) checks them against a kernel.
     */
    private static final StructLayout TIMESPEC = structLayout(JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_nsec"));
    /**
     * {@code struct stat} with 64-bit inodes ({@code __DARWIN_STRUCT_STAT64} in {@code <sys/stat.h>}): the only one
     * on arm64, and on x86_64 the one that {@code fstat$INODE64} fills (plain {@code fstat} keeps the layout of
     * Mac OS X 10.5, with 32-bit inodes, for old binaries).
     */
    static final StructLayout STAT = structLayout(
            JAVA_INT.withName("st_dev"), // dev_t
            JAVA_SHORT.withName("st_mode"), // mode_t
            JAVA_SHORT.withName("st_nlink"), // nlink_t
            JAVA_LONG.withName("st_ino"), // __darwin_ino64_t
            JAVA_INT.withName("st_uid"),
            JAVA_INT.withName("st_gid"),
            JAVA_INT.withName("st_rdev"),
            paddingLayout(4),
            sequenceLayout(4, TIMESPEC).withName("st_times"), // st_atimespec, _mtimespec, _ctimespec, _birthtimespec
            JAVA_LONG.withName("st_size"), // off_t
            JAVA_LONG.withName("st_blocks"),
            JAVA_INT.withName("st_blksize"),
            JAVA_INT.withName("st_flags"),
            JAVA_INT.withName("st_gen"),
            JAVA_INT.withName("st_lspare"),
            sequenceLayout(2, JAVA_LONG).withName("st_qspare"));
    /** {@code struct statfs} with 64-bit inodes ({@code __DARWIN_STRUCT_STATFS64} in {@code <sys/mount.h>}). */
    static final StructLayout STATFS = structLayout(
            JAVA_INT.withName("f_bsize"),
            JAVA_INT.withName("f_iosize"),
            JAVA_LONG.withName("f_blocks"),
            JAVA_LONG.withName("f_bfree"),
            JAVA_LONG.withName("f_bavail"),
            JAVA_LONG.withName("f_files"),
            JAVA_LONG.withName("f_ffree"),
            sequenceLayout(2, JAVA_INT).withName("f_fsid"),
            JAVA_INT.withName("f_owner"),
            JAVA_INT.withName("f_type"),
            JAVA_INT.withName("f_flags"),
            JAVA_INT.withName("f_fssubtype"),
            sequenceLayout(16, JAVA_BYTE).withName("f_fstypename"), // MFSTYPENAMELEN, NUL included
            sequenceLayout(1024, JAVA_BYTE).withName("f_mntonname"), // MAXPATHLEN
            sequenceLayout(1024, JAVA_BYTE).withName("f_mntfromname"),
            JAVA_INT.withName("f_flags_ext"),
            sequenceLayout(7, JAVA_INT).withName("f_reserved"));
    private static final StructLayout SOCKBUF_INFO = structLayout(
            JAVA_INT.withName("sbi_cc"),
            JAVA_INT.withName("sbi_hiwat"),
            JAVA_INT.withName("sbi_mbcnt"),
            JAVA_INT.withName("sbi_mbmax"),
            JAVA_INT.withName("sbi_lowat"),
            JAVA_SHORT.withName("sbi_flags"),
            JAVA_SHORT.withName("sbi_timeo"));
    /**
     * {@code struct socket_fdinfo} of {@code <sys/proc_info.h>}, what {@code proc_pidfdinfo(PROC_PIDFDSOCKETINFO)}
     * fills: {@code struct proc_fileinfo}, then {@code struct socket_info}.
     */
    static final StructLayout SOCKET_FDINFO = structLayout(
            structLayout(
                    JAVA_INT.withName("fi_openflags"),
                    JAVA_INT.withName("fi_status"),
                    JAVA_LONG.withName("fi_offset"),
                    JAVA_INT.withName("fi_type"),
                    JAVA_INT.withName("fi_guardflags")).withName("pfi"),
            structLayout(
                    structLayout( // struct vinfo_stat
                            JAVA_INT.withName("vst_dev"),
                            JAVA_SHORT.withName("vst_mode"),
                            JAVA_SHORT.withName("vst_nlink"),
                            JAVA_LONG.withName("vst_ino"),
                            JAVA_INT.withName("vst_uid"),
                            JAVA_INT.withName("vst_gid"),
                            sequenceLayout(8, JAVA_LONG).withName("vst_times"), // a, m, c, birth: sec and nsec
                            JAVA_LONG.withName("vst_size"),
                            JAVA_LONG.withName("vst_blocks"),
                            JAVA_INT.withName("vst_blksize"),
                            JAVA_INT.withName("vst_flags"),
                            JAVA_INT.withName("vst_gen"),
                            JAVA_INT.withName("vst_rdev"),
                            sequenceLayout(2, JAVA_LONG).withName("vst_qspare")).withName("soi_stat"),
                    JAVA_LONG.withName("soi_so"),
                    JAVA_LONG.withName("soi_pcb"),
                    JAVA_INT.withName("soi_type"),
                    JAVA_INT.withName("soi_protocol"),
                    JAVA_INT.withName("soi_family"),
                    JAVA_SHORT.withName("soi_options"),
                    JAVA_SHORT.withName("soi_linger"),
                    JAVA_SHORT.withName("soi_state"),
                    JAVA_SHORT.withName("soi_qlen"),
                    JAVA_SHORT.withName("soi_incqlen"),
                    JAVA_SHORT.withName("soi_qlimit"),
                    JAVA_SHORT.withName("soi_timeo"),
                    JAVA_SHORT.withName("soi_error"),
                    JAVA_INT.withName("soi_oobmark"),
                    SOCKBUF_INFO.withName("soi_rcv"),
                    SOCKBUF_INFO.withName("soi_snd"),
                    JAVA_INT.withName("soi_kind"),
                    JAVA_INT.withName("rfu_1"),
                    // A union; its largest member, struct un_sockinfo (2 x u64, 2 x 255 bytes), takes 528 bytes.
                    sequenceLayout(66, JAVA_LONG).withName("soi_proto")).withName("psi"));

    static final long ST_DEV = STAT.byteOffset(groupElement("st_dev"));
    static final long ST_MODE = STAT.byteOffset(groupElement("st_mode"));
    static final long ST_INO = STAT.byteOffset(groupElement("st_ino"));
    static final long ST_SIZE = STAT.byteOffset(groupElement("st_size"));
    static final long F_FSTYPENAME = STATFS.byteOffset(groupElement("f_fstypename"));
    static final int MFSTYPENAMELEN = 16;
    static final long SOI_FAMILY = SOCKET_FDINFO.byteOffset(groupElement("psi"),
            groupElement("soi_family"));
    private static final long SOI_SND = SOCKET_FDINFO.byteOffset(groupElement("psi"),
            groupElement("soi_snd"));
    static final long SBI_CC = SOI_SND + SOCKBUF_INFO.byteOffset(groupElement("sbi_cc"));
    static final long SBI_HIWAT = SOI_SND + SOCKBUF_INFO.byteOffset(groupElement("sbi_hiwat"));
    static final long SBI_MBCNT = SOI_SND + SOCKBUF_INFO.byteOffset(groupElement("sbi_mbcnt"));
    static final long SBI_MBMAX = SOI_SND + SOCKBUF_INFO.byteOffset(groupElement("sbi_mbmax"));

    private DarwinStructs() {
    }
}
