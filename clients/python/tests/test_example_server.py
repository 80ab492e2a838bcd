"""The client against the example server (examples/target/fdpass-example-server.jar) as a real process: the seed
files, every status, pipelining, ERROR frames and the server's shutdown, with no descriptor left behind."""

from __future__ import annotations

import fcntl
import os
import re
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import unittest
from pathlib import Path
from typing import ClassVar, List, Optional

import fdpass
from fdpass._wire import Limits
from support import PACKAGE_DIR, PATIENCE, REPO, SEED_FILES, SEED_NAMES, ExampleServer, FdTestCase, TempDir, write_seed_files

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _without_dac_override() -> Optional[List[str]]:
    """How to start a root server that may not read what its owner may not (mode 000): setpriv dropping
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH; [] when not root (the mode suffices); None when it cannot be done."""
    if not IS_ROOT:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"]


class ExampleServerTest(FdTestCase):
    tmp: ClassVar[TempDir]
    root: ClassVar[Path]
    server: ClassVar[ExampleServer]
    denied_prefix: ClassVar[Optional[List[str]]]

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = TempDir()
        cls.root = cls.tmp.path / "root"
        write_seed_files(cls.root)
        (cls.root / "dir").mkdir()
        os.mkfifo(cls.root / "fifo")
        (cls.root / "empty").write_bytes(b"")
        (cls.root / "private.txt").write_bytes(b"not for the server\n")
        os.chmod(cls.root / "private.txt", 0)
        (cls.root / "leased.txt").write_bytes(b"leased\n")
        (cls.tmp.path / "outside.txt").write_bytes(b"outside the root\n")
        os.symlink("../outside.txt", cls.root / "up.txt")
        os.symlink(cls.tmp.path / "outside.txt", cls.root / "absolute.txt")
        for i in range(12):
            (cls.root / f"many{i:02d}.txt").write_bytes(b"%d\n" % i)
        # The server runs as a user that may not read private.txt: for root, root without its override of modes.
        cls.denied_prefix = _without_dac_override()
        cls.server = ExampleServer(cls.tmp.path / "s.sock", cls.root, prefix=cls.denied_prefix or [])

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            assert cls.server.terminate() == 0, cls.server.log
        finally:
            cls.server.close()
            cls.tmp.cleanup()

    def connect(self, **kwargs: float) -> fdpass.Client:
        return fdpass.connect(self.server.socket_path, **kwargs)

    # ------------------------------------------------------------------------------------------------ seed

    def test_the_seed_scenario(self) -> None:
        with self.connect() as client:
            self.assertEqual(Limits(64, 65536, 32), client.limits)
            with client.request(SEED_NAMES) as reply:
                self.assertTrue(reply.all_ok)
                self.assertEqual(SEED_NAMES, [entry.name for entry in reply])
                for entry in reply:
                    self.assertEqual(("OK", True, len(SEED_FILES[entry.name])), (entry.status, entry.ok, entry.size))
                    self.assertEqual(SEED_FILES[entry.name][:16], entry.pread(16, 0))
                    self.assertEqual(SEED_FILES[entry.name], entry.read())
                    self.assertEqual(b"", entry.read())
                    self.assertEqual(SEED_FILES[entry.name][3:5], entry.pread(2, 3))
        self.assertNoDescriptorLeft()

    def test_descriptors_are_read_only_and_close_on_exec(self) -> None:
        with self.connect() as client, client.request(["courses.txt"]) as reply:
            fd = reply[0].fileno()
            self.assertTrue(fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC, "FD_CLOEXEC")
            self.assertFalse(os.get_inheritable(fd))
            self.assertEqual(os.O_RDONLY, fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE)
            self.assertTrue(stat.S_ISREG(os.fstat(fd).st_mode))
        self.assertNoDescriptorLeft()

    def test_what_closing_a_reply_closes(self) -> None:
        with self.connect() as client:
            with client.request(SEED_NAMES) as reply:
                detached = reply[0].detach()
                opened = reply[1].open()
                kept = reply[2]
            self.assertTrue(kept.closed)
            with self.assertRaisesRegex(ValueError, "contacts.txt: descriptor closed"):
                kept.read()
            with self.assertRaisesRegex(ValueError, "descriptor detached"):
                reply[0].fileno()
            with opened:
                self.assertEqual(SEED_FILES["campusinfo.txt"], opened.read())
            self.assertEqual(SEED_FILES["courses.txt"], os.pread(detached, 100, 0))
            os.close(detached)
        self.assertNoDescriptorLeft()

    def test_the_readmes_python_snippets(self) -> None:
        # Each ```python block that connects, run as it is written but for the socket's path.
        expected = "".join(f"{name} OK {SEED_FILES[name]!r}\n" for name in SEED_NAMES)
        for readme in (REPO / "README.md", PACKAGE_DIR / "README.md"):
            blocks = [b for b in re.findall(r"```python\n(.*?)```", readme.read_text(), re.S) if "fdpass.connect" in b]
            self.assertTrue(blocks, f"no snippet in {readme}")
            for block in blocks:
                code = block.replace('"/tmp/files.sock"', repr(str(self.server.socket_path)))
                run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=PATIENCE,
                                     env=dict(os.environ, PYTHONPATH=str(PACKAGE_DIR)))
                self.assertEqual((0, expected, ""), (run.returncode, run.stdout, run.stderr), f"{readme}:\n{block}")

    # -------------------------------------------------------------------------------------------- statuses

    def test_every_status_the_server_gives_without_trouble(self) -> None:
        names = ["courses.txt", "missing.txt", "dir/missing.txt", "up.txt", "absolute.txt", "dir", "fifo", "empty"]
        with self.connect() as client, client.request(names) as reply:
            self.assertEqual(["OK", "NOT_FOUND", "NOT_FOUND", "INVALID_NAME", "INVALID_NAME", "NOT_REGULAR_FILE",
                              "NOT_REGULAR_FILE", "OK"], [entry.status for entry in reply])
            self.assertEqual([0, 1, 1, 3, 3, 4, 4, 0], [entry.status_code for entry in reply])
            self.assertFalse(reply.all_ok)
            self.assertEqual(b"", reply[7].read())
            for entry in reply:
                if not entry.ok:
                    self.assertEqual(0, entry.size)
                    with self.assertRaisesRegex(ValueError, f"{entry.status}, no descriptor"):
                        entry.fileno()
        self.assertNoDescriptorLeft()

    def test_permission_denied(self) -> None:
        if self.denied_prefix is None:
            self.skipTest("runs as root without setpriv (util-linux): no server that may not read a mode-000 file")
        with self.connect() as client, client.request(["private.txt", "courses.txt"]) as reply:
            self.assertEqual(["PERMISSION_DENIED", "OK"], [entry.status for entry in reply])
        self.assertNoDescriptorLeft()

    @unittest.skipUnless(sys.platform.startswith("linux"), "file leases (F_SETLEASE) are Linux's")
    def test_io_error_an_open_that_would_block_on_a_lease(self) -> None:
        # A write lease held here makes the server's non-blocking open fail with EWOULDBLOCK: IO_ERROR, "any other
        # failure to open". The lease break it starts is announced to this process with SIGIO: ignored meanwhile.
        previous = signal.signal(signal.SIGIO, signal.SIG_IGN)
        lease_fd = os.open(self.root / "leased.txt", os.O_WRONLY)
        try:
            fcntl.fcntl(lease_fd, getattr(fcntl, "F_SETLEASE", 1024), fcntl.F_WRLCK)
            with self.connect() as client, client.request(["leased.txt", "courses.txt"]) as reply:
                self.assertEqual(["IO_ERROR", "OK"], [entry.status for entry in reply])
        finally:
            fcntl.fcntl(lease_fd, getattr(fcntl, "F_SETLEASE", 1024), fcntl.F_UNLCK)
            os.close(lease_fd)
            signal.signal(signal.SIGIO, previous)
        self.assertNoDescriptorLeft()

    @unittest.skipUnless(hasattr(resource, "prlimit") and os.path.isdir("/proc/self/fd"),
                         "needs prlimit(2) and /proc (Linux)")
    def test_limit_exceeded_a_server_out_of_descriptors(self) -> None:
        names = [f"many{i:02d}.txt" for i in range(12)]
        pid = self.server.pid
        original = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        with self.connect() as client:
            with client.request(names) as reply:  # whatever serving needs is loaded before the limit
                self.assertTrue(reply.all_ok)
            free = 4
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (len(os.listdir(f"/proc/{pid}/fd")) + free, original[1]))
            try:
                with client.request(names) as reply:
                    statuses = [entry.status for entry in reply]
            finally:
                resource.prlimit(pid, resource.RLIMIT_NOFILE, original)
            opened = statuses.count("OK")
            self.assertTrue(0 < opened <= free, statuses)
            self.assertEqual(["OK"] * opened + ["LIMIT_EXCEEDED"] * (len(names) - opened), statuses)
            with client.request(names) as reply:
                self.assertTrue(reply.all_ok, "served in full once the limit is back")
                self.assertEqual(b"11\n", reply[11].read())
        self.assertNoDescriptorLeft()

    def test_names_no_server_could_serve_are_refused_before_sending(self) -> None:
        cases = {
            "": "name '': empty",
            "x" * 4097: "name 'xxxx",
            "a\0b": "name 'a\\x00b': a NUL byte at offset 1",
            "/etc/passwd": "name '/etc/passwd': absolute: it begins with '/' (names are relative to the server's root)",
            "a//b": "name 'a//b': an empty component ('//')",
            "a/": "name 'a/': an empty component: it ends with '/'",
            "./a": "name './a': a '.' component",
            "a/./b": "name 'a/./b': a '.' component",
            "d/../d/x": "name 'd/../d/x': a '..' component",
            "..": "name '..': a '..' component",
            "bad\udcff": "name 'bad\\udcff': not strict UTF-8 (RFC 3629): a lone surrogate at character 3",
        }
        with self.connect() as client:
            for name, message in cases.items():
                with self.subTest(name=name[:20]):
                    with self.assertRaises(ValueError) as raised:
                        client.request(["courses.txt", name])
                    self.assertTrue(str(raised.exception).startswith(message), str(raised.exception))
                    if name == "x" * 4097:
                        self.assertTrue(str(raised.exception).endswith("...: too long: 4097 bytes (expected: at most "
                                                                       "4096)"), str(raised.exception))
            with self.assertRaisesRegex(ValueError, r"names: 65 \(expected: 1\.\.64\)"):
                client.request(["courses.txt"] * 65)
            with self.assertRaisesRegex(ValueError, r"names: 0 \(expected: 1\.\.64\)"):
                client.request([])
            with self.assertRaisesRegex(TypeError, "a list of names"):
                client.request("courses.txt")
            with self.assertRaisesRegex(ValueError, r"request length: 65575 \(expected: <= 65536\)"):
                client.request(["é" * 2048] * 16)
            # Nothing was sent: the connection serves on.
            # 4096 bytes pass the client's rules, and the server judges them: Linux's PATH_MAX counts the NUL.
            longest = ("x" * 203 + "/") * 20 + "y" * 16
            with client.request([longest, longest[:4095], "contacts.txt"]) as reply:
                statuses = [entry.status for entry in reply]
            if sys.platform.startswith("linux"):
                self.assertEqual(["INVALID_NAME", "NOT_FOUND", "OK"], statuses)
            self.assertEqual("OK", statuses[2], "the connection serves on")
        self.assertNoDescriptorLeft()

    # ---------------------------------------------------------------------------------------------- pipelining

    def test_pipelining_32_deep(self) -> None:
        with self.connect() as client:
            ids = [client.send([SEED_NAMES[i % 3], SEED_NAMES[(i + 1) % 3], "missing.txt"]) for i in range(32)]
            self.assertEqual(32, client.unanswered)
            self.assertEqual(list(range(32)), ids)
            with self.assertRaisesRegex(RuntimeError, r"unanswered: 32 \(expected: < maxUnanswered 32\)"):
                client.send(["courses.txt"])
            # A request in between is answered in its turn; the pipelined replies wait for receive().
            with client.request(["contacts.txt"]) as reply:
                self.assertEqual(32, reply.request_id)
                self.assertEqual(SEED_FILES["contacts.txt"], reply[0].read())
            for i, request_id in enumerate(ids):
                with client.receive() as reply:
                    self.assertEqual(request_id, reply.request_id)
                    self.assertEqual(["OK", "OK", "NOT_FOUND"], [entry.status for entry in reply])
                    self.assertEqual(SEED_FILES[SEED_NAMES[i % 3]], reply[0].read())
                    self.assertEqual(SEED_FILES[SEED_NAMES[(i + 1) % 3]], reply[1].pread(100, 0))
            self.assertEqual(0, client.unanswered)
            with self.assertRaisesRegex(RuntimeError, "no request unanswered"):
                client.receive()
        self.assertNoDescriptorLeft()

    def test_closing_the_client_closes_the_replies_not_received(self) -> None:
        with self.connect() as client:
            for _ in range(8):
                client.send(SEED_NAMES)
            with client.request(["courses.txt"]):  # all eight replies are read, none returned
                pass
        with self.assertRaisesRegex(fdpass.ConnectionClosed, "client closed"):
            client.receive()
        self.assertNoDescriptorLeft()


class ExampleServerLimitsTest(FdTestCase):
    """Servers started with other settings, one per test: the ERRORs a client can meet, and the shutdown."""

    def setUp(self) -> None:
        super().setUp()
        self.tmp = TempDir()
        self.root = self.tmp.path / "root"
        write_seed_files(self.root)
        self.servers: List[ExampleServer] = []

    def tearDown(self) -> None:
        try:
            for server in self.servers:
                server.close()
        finally:
            self.tmp.cleanup()
        super().tearDown()

    def start(self, *args: str) -> ExampleServer:
        server = ExampleServer(self.tmp.path / f"s{len(self.servers)}.sock", self.root, *args)
        self.servers.append(server)
        return server

    def error_on_first_request(self, server: ExampleServer) -> fdpass.ServerError:
        """The ERROR a new connection meets: at connect when it came with the HELLO, else on the first request,
        once it is there (the server's timers say when: this waits for it to arrive, not for a time)."""
        try:
            client = fdpass.connect(server.socket_path)
        except fdpass.ServerError as e:
            return e
        with client:
            readable, _, _ = select.select([client._sock], [], [], PATIENCE)
            self.assertTrue(readable, "no ERROR")
            with self.assertRaises(fdpass.ServerError) as raised:
                client.request(["courses.txt"])
            return raised.exception

    def stop(self, server: ExampleServer) -> None:
        """Shuts the server down (exit status 0, its socket removed) and closes what the test held of it."""
        try:
            self.assertEqual(0, server.terminate(), server.log)
            self.assertFalse(server.socket_path.exists(), "the server left its socket behind")
        finally:
            server.close()

    def test_errors_for_requests_over_the_servers_limits(self) -> None:
        server = self.start("--max-names", "4", "--max-frame-length", "8192")
        with fdpass.connect(server.socket_path) as client:
            self.assertEqual(Limits(4, 8192, 32), client.limits)
            client._limits = Limits(64, 65536, 32)  # a client that does not heed the HELLO
            with client.request(["courses.txt"]) as reply:
                self.assertTrue(reply.all_ok)
            with self.assertRaises(fdpass.ServerError) as raised:
                client.request(SEED_NAMES * 2)
            self.assertEqual((3, "TOO_MANY_NAMES"), (raised.exception.code, raised.exception.code_name))
            self.assertTrue(str(raised.exception).startswith("server sent ERROR TOO_MANY_NAMES: "), raised.exception)
            self.assertTrue(client.closed)
        with fdpass.connect(server.socket_path) as client:
            client._limits = Limits(64, 65536, 32)
            with self.assertRaises(fdpass.ServerError) as raised:
                client.request(["x" * 4096, "y" * 4096])
            self.assertEqual("FRAME_TOO_LARGE", raised.exception.code_name)
        self.stop(server)
        self.assertNoDescriptorLeft()

    def test_an_idle_connection_is_timed_out(self) -> None:
        server = self.start("--idle-timeout", "300ms")
        self.assertEqual("server closed the connection: idle for 300 ms with nothing unanswered (TIMED_OUT)",
                         str(self.error_on_first_request(server)))
        self.stop(server)
        self.assertNoDescriptorLeft()

    def test_a_connection_over_the_servers_limit_is_refused_at_connect(self) -> None:
        server = self.start("--max-connections", "1")
        with fdpass.connect(server.socket_path) as first:
            refusal = self.error_on_first_request(server)
            self.assertEqual((6, "TOO_MANY_CONNECTIONS"), (refusal.code, refusal.code_name))
            self.assertTrue(str(refusal).startswith("server refused the connection: "), refusal)
            with first.request(["courses.txt"]) as reply:
                self.assertTrue(reply.all_ok)
        self.stop(server)
        self.assertNoDescriptorLeft()

    def test_the_servers_shutdown(self) -> None:
        server = self.start()
        with fdpass.connect(server.socket_path) as client:
            for _ in range(3):
                client.send(SEED_NAMES)
            replies = [client.receive() for _ in range(3)]
            server.shut_down()
            # The server answered everything it had read, then says SHUTTING_DOWN and waits for this client to read
            # it ("Closing"): the next request fails with it.
            readable, _, _ = select.select([client._sock], [], [], PATIENCE)
            self.assertTrue(readable, "no ERROR SHUTTING_DOWN")
            with self.assertRaises(fdpass.ServerError) as raised:
                client.request(["courses.txt"])
            self.assertEqual((5, "SHUTTING_DOWN"), (raised.exception.code, raised.exception.code_name))
            for reply in replies:
                with reply:
                    self.assertEqual(SEED_FILES["contacts.txt"], reply[2].read(), "replies before it stand")
        self.stop(server)
        self.assertNoDescriptorLeft()

    def test_a_server_that_stops_reading_until_replies_are_read_never_blocks_the_client(self) -> None:
        # The server stops reading while more than 1024 bytes it wrote are unread: 32 requests of 64 names
        # (64 KiB each) do not fit in the socket, so the client must read replies while it writes.
        server = self.start("--max-unread-bytes", "1024")
        names = [f"missing-{i:02d}/" + "/".join(["n" * 240] * 4) for i in range(64)]
        with fdpass.connect(server.socket_path, timeout=PATIENCE) as client:
            ids = [client.send(names) for _ in range(32)]
            for request_id in ids:
                with client.receive() as reply:
                    self.assertEqual(request_id, reply.request_id)
                    self.assertEqual({"NOT_FOUND"}, {entry.status for entry in reply})
        self.stop(server)
        self.assertNoDescriptorLeft()
