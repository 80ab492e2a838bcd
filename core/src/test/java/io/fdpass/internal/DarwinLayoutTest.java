package io.fdpass.internal;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;

import static io.fdpass.internal.FileStat.STAT_DEV;
import static io.fdpass.internal.FileStat.STAT_INO;
import static io.fdpass.internal.FileStat.STAT_LENGTH;
import static io.fdpass.internal.FileStat.STAT_MODE;
import static io.fdpass.internal.FileStat.STAT_SIZE;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Darwin's structures as {@link Native} declares and reads them, against the offsets of xnu's headers for LP64
 * (x86_64 and arm64), written out here by hand: runs on any OS, with buffers made up as the kernel would fill them.
 * Only a run on macOS checks them against the kernel itself.
 */
class DarwinLayoutTest {
    private static long offset(StructLayout layout, String... path) {
        MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = groupElement(path[i]);
        }
        return layout.byteOffset(elements);
    }

    /** {@code struct stat} of {@code <sys/stat.h>} with 64-bit inodes. */
    @Test
    void statMatchesTheHeader() {
        StructLayout stat = DarwinStructs.STAT;
        assertEquals(0, offset(stat, "st_dev")); // dev_t, int32
        assertEquals(4, offset(stat, "st_mode")); // mode_t, uint16
        assertEquals(6, offset(stat, "st_nlink")); // nlink_t, uint16
        assertEquals(8, offset(stat, "st_ino")); // ino64_t
        assertEquals(16, offset(stat, "st_uid"));
        assertEquals(20, offset(stat, "st_gid"));
        assertEquals(24, offset(stat, "st_rdev"));
        assertEquals(32, offset(stat, "st_times")); // 4 x struct timespec, 16 bytes each
        assertEquals(96, offset(stat, "st_size"));
        assertEquals(104, offset(stat, "st_blocks"));
        assertEquals(112, offset(stat, "st_blksize"));
        assertEquals(116, offset(stat, "st_flags"));
        assertEquals(120, offset(stat, "st_gen"));
        assertEquals(124, offset(stat, "st_lspare"));
        assertEquals(128, offset(stat, "st_qspare"));
        assertEquals(144, stat.byteSize());
        assertEquals(8, stat.byteAlignment());
    }

    @Test
    void statIsReadAtThoseOffsets() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stat = arena.allocate(144, 8);
            stat.fill((byte) 0x5A); // every field not read is noise
            stat.set(JAVA_INT, 0, 0x8100_0004); // st_dev: high bit set, read unsigned
            stat.set(JAVA_SHORT, 4, (short) 0100644); // st_mode: a regular file, rw-r--r--
            stat.set(JAVA_SHORT, 6, (short) 1); // st_nlink
            stat.set(JAVA_LONG, 8, 0x8000_0000_0000_1234L); // st_ino: all 64 bits
            stat.set(JAVA_LONG, 96, 0x1_2345_6789L); // st_size: above 4 GiB
            long[] out = new long[STAT_LENGTH];
            FileStat.darwinStat(stat, out);
            assertEquals(0100644, out[STAT_MODE]);
            assertEquals(0x1_2345_6789L, out[STAT_SIZE]);
            assertEquals(0x8000_0000_0000_1234L, out[STAT_INO]);
            assertEquals(0x8100_0004L, out[STAT_DEV]);
            assertTrue(FileStat.isRegular(out[STAT_MODE]));

            stat.set(JAVA_SHORT, 4, (short) 0140755); // a socket: S_IFSOCK fills the 16 bits' top
            FileStat.darwinStat(stat, out);
            assertEquals(0140755, out[STAT_MODE]);
        }
    }

    /** {@code struct statfs} of {@code <sys/mount.h>} with 64-bit inodes. */
    @Test
    void statfsMatchesTheHeader() {
        StructLayout statfs = DarwinStructs.STATFS;
        assertEquals(0, offset(statfs, "f_bsize"));
        assertEquals(4, offset(statfs, "f_iosize"));
        assertEquals(8, offset(statfs, "f_blocks"));
        assertEquals(16, offset(statfs, "f_bfree"));
        assertEquals(24, offset(statfs, "f_bavail"));
        assertEquals(32, offset(statfs, "f_files"));
        assertEquals(40, offset(statfs, "f_ffree"));
        assertEquals(48, offset(statfs, "f_fsid"));
        assertEquals(56, offset(statfs, "f_owner"));
        assertEquals(60, offset(statfs, "f_type"));
        assertEquals(64, offset(statfs, "f_flags"));
        assertEquals(68, offset(statfs, "f_fssubtype"));
        assertEquals(72, offset(statfs, "f_fstypename")); // char[MFSTYPENAMELEN = 16]
        assertEquals(88, offset(statfs, "f_mntonname")); // char[MAXPATHLEN = 1024]
        assertEquals(1112, offset(statfs, "f_mntfromname"));
        assertEquals(2136, offset(statfs, "f_flags_ext"));
        assertEquals(2140, offset(statfs, "f_reserved"));
        assertEquals(2168, statfs.byteSize());
    }

    @Test
    void fsTypeNameIsReadAtThatOffset() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment statfs = arena.allocate(2168, 8);
            statfs.fill((byte) 'x');
            statfs.set(JAVA_INT, 60, 0x1A); // f_type: a number, not a name
            MemorySegment.copy("apfs\0".getBytes(StandardCharsets.US_ASCII), 0, statfs, JAVA_BYTE, 72, 5);
            MemorySegment.copy("/Volumes/Data\0".getBytes(StandardCharsets.US_ASCII), 0, statfs, JAVA_BYTE, 88, 14);
            assertEquals("apfs", FileStat.darwinFsTypeName(statfs));

            // A name of all 16 bytes and no NUL stops at the field's end, not at f_mntonname.
            MemorySegment.copy("0123456789abcdef".getBytes(StandardCharsets.US_ASCII), 0, statfs, JAVA_BYTE, 72, 16);
            assertEquals("0123456789abcdef", FileStat.darwinFsTypeName(statfs));
            statfs.set(JAVA_BYTE, 72, (byte) 0);
            assertEquals("", FileStat.darwinFsTypeName(statfs));
        }
    }

    /** {@code struct socket_fdinfo} of {@code <sys/proc_info.h>}: proc_fileinfo, then socket_info. */
    @Test
    void socketFdinfoMatchesTheHeader() {
        StructLayout info = DarwinStructs.SOCKET_FDINFO;
        assertEquals(0, offset(info, "pfi"));
        assertEquals(8, offset(info, "pfi", "fi_offset"));
        assertEquals(24, offset(info, "psi"));
        assertEquals(24 + 136, offset(info, "psi", "soi_so")); // after struct vinfo_stat, 136 bytes
        assertEquals(24 + 152, offset(info, "psi", "soi_type"));
        assertEquals(24 + 160, offset(info, "psi", "soi_family"));
        assertEquals(24 + 164, offset(info, "psi", "soi_options"));
        assertEquals(24 + 178, offset(info, "psi", "soi_error"));
        assertEquals(24 + 180, offset(info, "psi", "soi_oobmark"));
        assertEquals(24 + 184, offset(info, "psi", "soi_rcv")); // struct sockbuf_info, 24 bytes
        assertEquals(24 + 208, offset(info, "psi", "soi_snd"));
        assertEquals(24 + 212, offset(info, "psi", "soi_snd", "sbi_hiwat"));
        assertEquals(24 + 220, offset(info, "psi", "soi_snd", "sbi_mbmax"));
        assertEquals(24 + 232, offset(info, "psi", "soi_kind"));
        assertEquals(24 + 240, offset(info, "psi", "soi_proto"));
        assertEquals(792, info.byteSize()); // PROC_PIDFDSOCKETINFO_SIZE
    }

    /** A socket_fdinfo of a connected Unix stream socket whose send buffer xnu shrank by what the peer holds. */
    private static MemorySegment unixSocket(Arena arena, int hiwat, int mbmax) {
        MemorySegment info = arena.allocate(792, 8);
        info.fill((byte) 0x7F);
        info.set(JAVA_INT, 24 + 160, 1); // soi_family: AF_UNIX
        info.set(JAVA_INT, 24 + 184, 0); // soi_rcv: what this socket received, nothing to do with it
        info.set(JAVA_INT, 24 + 188, 1);
        info.set(JAVA_INT, 24 + 192, 0);
        info.set(JAVA_INT, 24 + 196, 1);
        info.set(JAVA_INT, 24 + 208, 0); // soi_snd.sbi_cc: always empty for a Unix stream socket
        info.set(JAVA_INT, 24 + 212, hiwat); // sbi_hiwat
        info.set(JAVA_INT, 24 + 216, 0); // sbi_mbcnt
        info.set(JAVA_INT, 24 + 220, mbmax); // sbi_mbmax
        return info;
    }

    @Test
    void socketOutqMeasuresTheRoomLeftAsSosendDoes() {
        int sendBuffer = 8192; // SO_SNDBUF: the unshrunk size, net.local.stream.sendspace by default
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(0, SocketCalls.darwinSocketOutq(sendBuffer, unixSocket(arena, 8192, 8 * 8192)), "all read");
            // A REPLY of 20 bytes and a descriptor message (1 byte and 20 of control): 41 bytes, but 3 mbufs of 256
            // bytes, which count as 768 / 8.
            assertEquals(96, SocketCalls.darwinSocketOutq(sendBuffer, unixSocket(arena, 8192 - 41, 8 * 8192 - 768)));
            assertEquals(41, SocketCalls.darwinSocketOutq(sendBuffer, unixSocket(arena, 8192 - 41, 8 * 8192 - 256)));
            // 100 descriptor messages: few bytes, but 51200 bytes of mbufs out of 65536, 1/8 of which counts.
            assertEquals(8192 - (65536 - 51200) / 8,
                    SocketCalls.darwinSocketOutq(sendBuffer, unixSocket(arena, 8192 - 2100, 65536 - 51200)));
            // The peer holds more mbuf memory than was reserved: sb_mbmax wrapped below 0, no room at all.
            assertEquals(sendBuffer, SocketCalls.darwinSocketOutq(sendBuffer, unixSocket(arena, 8192 - 3000, -512)));
            assertEquals(sendBuffer, SocketCalls.darwinSocketOutq(sendBuffer, unixSocket(arena, 0, 65536)));

            MemorySegment tcp = unixSocket(arena, 8192, 65536);
            tcp.set(JAVA_INT, 24 + 160, 2); // AF_INET: not what this reads
            assertEquals(-Errno.EINVAL, SocketCalls.darwinSocketOutq(sendBuffer, tcp));
        }
    }
}
