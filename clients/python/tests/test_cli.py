"""python3 -m fdpass against the example server and scripted servers: the Java example client's lines, byte for
byte, and its exit statuses. The lines expected were read off the Java client; where its jar is there, the cases
marked ``java=True`` run through it too (a JVM's start-up each: a few, not all)."""

from __future__ import annotations

import random
import socket
import subprocess
from typing import ClassVar, Optional

from fdpass._wire import name_problem
from support import (ExampleServer, FdTestCase, Script, ScriptedServer, TempDir, drain, error, hello, java_cli, python_cli,
                     read_request, reply, require_jar, send_files, write_seed_files)

ME = "fdpass-example-client"
SCENARIO = (b"reply: 3 names, 3 OK, 0 failed\n"
            b"courses.txt OK 16 bytes: Course1\\nCourse2\\n\n"
            b"campusinfo.txt OK 15 bytes: Campus1\\nCampus2\n"
            b"contacts.txt OK 9 bytes: Contacts\\n\n")


class CliCase(FdTestCase):
    tmp: ClassVar[TempDir]
    java_missing: ClassVar[Optional[str]]

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = TempDir()
        try:
            require_jar("client")
            cls.java_missing = None
        except Exception as e:  # a skip, or a failure where the build requires the jars: said once per test
            cls.java_missing = str(e)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def run_both(self, *args: str, expected_status: int, out: Optional[bytes] = None,
                 err: Optional[bytes] = None, java: bool = False) -> "subprocess.CompletedProcess[bytes]":
        """Runs the Python CLI and checks what it printed; with ``java``, the Java client too (where its jar is
        there), which must print the same."""
        python = python_cli(*args, cwd=self.tmp.path)
        shown = f"python3 -m fdpass {' '.join(args)}\n--- stdout\n{python.stdout!r}\n--- stderr\n{python.stderr!r}"
        self.assertEqual(expected_status, python.returncode, shown)
        if out is not None:
            self.assertEqual(out, python.stdout, shown)
        if err is not None:
            self.assertEqual(err, python.stderr, shown)
        if java and self.java_missing is None:
            other = java_cli(*args, cwd=self.tmp.path)
            self.assertEqual((other.returncode, other.stdout, other.stderr),
                             (python.returncode, python.stdout, python.stderr), "the Java client printed otherwise")
        return python


class CliAgainstTheExampleServerTest(CliCase):
    server: ClassVar[ExampleServer]

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        root = cls.tmp.path / "root"
        write_seed_files(root)
        (root / "dir").mkdir()
        (root / "odd.bin").write_bytes(b"tab\there\x01\x7f\xff\xc3\xa9 and more bytes here")
        (root / "empty").write_bytes(b"")
        cls.server = ExampleServer(cls.tmp.path / "s.sock", root)

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            cls.server.close()
        finally:
            super().tearDownClass()

    def test_the_seed_scenario(self) -> None:
        self.run_both("--socket", "s.sock", "courses.txt", "campusinfo.txt", "contacts.txt",
                      expected_status=0, out=SCENARIO, err=b"", java=True)

    def test_failed_names_and_escapes(self) -> None:
        self.run_both("--socket", "s.sock", "courses.txt", "missing.txt", "../etc/passwd", "", "dir", "empty",
                      "odd.bin", "new\nline\\", "\u0085\u2028é", "x" * 100,
                      expected_status=1,
                      out=b"reply: 10 names, 3 OK, 7 failed\n"
                          b"courses.txt OK 16 bytes: Course1\\nCourse2\\n\n"
                          b"missing.txt NOT_FOUND\n"
                          b"../etc/passwd INVALID_NAME\n"
                          b'"" INVALID_NAME\n'
                          b"dir NOT_REGULAR_FILE\n"
                          b"empty OK 0 bytes: \n"
                          b"odd.bin OK 33 bytes: tab\\there\\x01\\x7f\\xff\\xc3\\xa9 an...\n"
                          b"new\\nline\\\\ NOT_FOUND\n"
                          + "\\x85\\x2028é NOT_FOUND\n".encode()
                          + b"x" * 80 + b"... (100 bytes) NOT_FOUND\n",
                      err=f"{ME}: missing.txt: no such file under the server's root (NOT_FOUND)\n"
                          f"{ME}: ../etc/passwd: invalid name: a '..' component (INVALID_NAME)\n"
                          f"{ME}: \"\": invalid name: empty (INVALID_NAME)\n"
                          f"{ME}: dir: not a regular file (NOT_REGULAR_FILE)\n"
                          f"{ME}: new\\nline\\\\: no such file under the server's root (NOT_FOUND)\n"
                          f"{ME}: \\x85\\x2028é: no such file under the server's root (NOT_FOUND)\n"
                          f"{ME}: {'x' * 80}... (100 bytes): no such file under the server's root (NOT_FOUND)\n"
                          .encode(), java=True)

    def test_bytes_stats_and_options_anywhere(self) -> None:
        self.run_both("courses.txt", "--bytes=3", "--socket", "s.sock", "--stats", "contacts.txt",
                      expected_status=0,
                      out=b"reply: 2 names, 2 OK, 0 failed\ncourses.txt OK 16 bytes: Cou...\n"
                          b"contacts.txt OK 9 bytes: Con...\n",
                      err=f"{ME}: stats: requests=1 replies=1 descriptors=2 held=0 failures={{}}\n".encode(),
                      java=True)
        self.run_both("--socket", "s.sock", "--bytes", "0", "--timeout", "PT5S", "--", "-x", "courses.txt",
                      expected_status=1, out=b"reply: 2 names, 1 OK, 1 failed\n-x NOT_FOUND\ncourses.txt OK 16 bytes\n")

    def test_try_open(self) -> None:
        self.run_both("--socket", "s.sock", "--try-open", "root/", "courses.txt", "missing.txt", "dir//",
                      expected_status=1,
                      out=b"direct open: root/courses.txt: opened\n"
                          b"direct open: root/missing.txt: no such file or directory\n"
                          b"direct open: root/dir: opened\n"
                          b"reply: 3 names, 1 OK, 2 failed\n"
                          b"courses.txt OK 16 bytes: Course1\\nCourse2\\n\n"
                          b"missing.txt NOT_FOUND\n"
                          b"dir// INVALID_NAME\n", java=True)

    def test_too_many_names_are_refused_before_sending(self) -> None:
        self.run_both("--socket", "s.sock", *(["courses.txt"] * 65), expected_status=2, out=b"",
                      err=f"{ME}: request refused before sending: names: 65 (expected: 1..64)\n".encode())
        self.assertNoDescriptorLeft()


class NameProblemsTest(CliCase):
    def test_the_python_port_says_what_the_java_library_says(self) -> None:
        # Why a name was INVALID_NAME, in the CLI's stderr: fdpass._wire.name_problem ports the Java library's
        # Names.problem, whose words the Java client prints. Both judge the same names, 2,000 of them random.
        if self.java_missing is not None:
            self.skipTest(self.java_missing)
        java, jar = require_jar("client")
        rng = random.Random(23)
        pieces = [b"a", b"/", b".", b"\0", b"\xc3", b"\xa9", b"\xe0", b"\xed", b"\xa0", b"\xf0", b"\xf4", b"\x90",
                  b"\x8f", b"\xff", b"\x80", b"\xbf"]
        names = [b"", b"x" * 4096, b"x" * 4097] + [b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
                                                  for _ in range(2000)]
        (self.tmp.path / "names.hex").write_text("".join(name.hex() + "\n" for name in names))
        (self.tmp.path / "Problems.java").write_text(
            "import java.nio.file.*; import java.util.HexFormat;\n"
            "class Problems { public static void main(String[] a) throws Exception {\n"
            "  for (String line : Files.readAllLines(Path.of(a[0]))) { byte[] b = HexFormat.of().parseHex(line);\n"
            "    String p = io.fdpass.files.Names.problem(b, b.length); System.out.println(p == null ? \"-\" : p); }\n"
            "} }\n")
        run = subprocess.run([java, "-cp", str(jar), str(self.tmp.path / "Problems.java"),
                              str(self.tmp.path / "names.hex")], capture_output=True, text=True, timeout=120)
        self.assertEqual(0, run.returncode, run.stderr)
        python = [name_problem(name) or "-" for name in names]
        mismatches = [(n, j, p) for n, j, p in zip(names, run.stdout.splitlines(), python) if j != p]
        self.assertEqual([], mismatches[:5])
        self.assertEqual(len(names), len(run.stdout.splitlines()))


class CliWithoutAServerTest(CliCase):
    def test_no_socket_file(self) -> None:
        self.run_both("--socket", "nobody-home.sock", "courses.txt", expected_status=3, out=b"",
                      err=f"{ME}: nobody-home.sock: no such socket file (is the server running?)\n".encode(),
                      java=True)

    def test_a_stale_socket_a_directory_a_file(self) -> None:
        with socket.socket(socket.AF_UNIX) as gone:
            gone.bind(str(self.tmp.path / "stale.sock"))
        (self.tmp.path / "plain").write_bytes(b"")
        self.run_both("--socket", "stale.sock", "courses.txt", expected_status=3, out=b"",
                      err=f"{ME}: stale.sock: cannot connect: connection refused (a stale socket file? is the "
                          "server running?)\n".encode())
        self.run_both("--socket", str(self.tmp.path) + "//", "x", expected_status=3,
                      err=f"{ME}: {self.tmp.path}: not a socket but a directory\n".encode())
        self.run_both("--socket", "plain", "x", expected_status=3,
                      err=f"{ME}: plain: not a socket but a regular file\n".encode())
        self.run_both("--socket", "plain/s.sock", "x", expected_status=3,
                      err=f"{ME}: plain/s.sock: cannot connect: Not a directory: plain/s.sock\n".encode())
        self.run_both("--socket", "d" * 120, "x", expected_status=3,
                      err=f"{ME}: {'d' * 120}: 120 bytes (expected: <= 107, what a Unix socket's address holds)\n"
                          .encode())

    def test_bad_command_lines(self) -> None:
        hint = f"Try '{ME} --help' for more information.\n"
        for args, message in [
            ((), "Missing required options and parameters: '--socket=PATH', 'NAME'"),
            (("--socket", "s.sock"), "Missing required parameter: 'NAME'"),
            (("x",), "Missing required option: '--socket=PATH'"),
            (("--socket",), "Missing required parameter for option '--socket' (PATH)"),
            (("--socket", "--bytes", "3", "x"), "Expected parameter for option '--socket' but found '--bytes'"),
            (("--socket", "s", "--bogus", "-y", "x"), "Unknown options: '--bogus', '-y'"),
            (("--socket", "s", "--bytes", "abc", "x"), "Invalid value for option '--bytes': 'abc' is not an int"),
            (("--socket", "s", "--bytes", "-1", "x"), "--bytes: -1 (expected: 0..1048576)"),
            (("--socket", "s", "--bytes", "1", "--bytes", "2", "x"), "option '--bytes' (N) should be specified only once"),
            (("--socket", "s", "--timeout", "10", "x"),
             "Invalid value for option '--timeout': '10' needs a unit: ms, s, m or h (e.g. 10s)"),
            (("--socket", "s", "--timeout", "1.5s", "x"),
             "Invalid value for option '--timeout': '1.5s' is not a duration (e.g. 500ms, 10s, 2m, PT10S)"),
            (("--socket", "s", "--bytes", "+5", "--bytes", "x"), "Invalid value for option '--bytes': 'x' is not an int"),
            (("--socket", "s", "--Timeout", "-PT1S", "x"), "Unknown options: '--Timeout', '-PT1S'"),
            (("--socket", "s", "--timeout=-PT1S", "x"), "Invalid value for option '--timeout': '-PT1S' is negative"),
        ]:
            with self.subTest(args=args):
                self.run_both(*args, expected_status=2, out=b"", err=f"{ME}: {message}\n{hint}".encode(),
                              java=args[2:3] in (("--bogus",), ("--timeout",)) and args[3] != "1.5s")
        self.run_both("--socket", "s", "--timeout", "0s", "x", expected_status=1,
                      err=f"{ME}: timeout: PT0S (expected: > 0)\n".encode())

    def test_help_and_version(self) -> None:
        for option in ("--help", "-h"):
            result = python_cli(option, cwd=self.tmp.path)
            self.assertEqual(0, result.returncode)
            self.assertTrue(result.stdout.startswith(b"Usage: python3 -m fdpass "), result.stdout)
        result = python_cli("-V", cwd=self.tmp.path)
        self.assertEqual(0, result.returncode)
        self.assertTrue(result.stdout.startswith(f"{ME} ".encode()), result.stdout)

    def test_sandbox_is_the_java_clients(self) -> None:
        result = python_cli("--socket", "s.sock", "--sandbox", "x", cwd=self.tmp.path)
        self.assertEqual(4, result.returncode)
        self.assertIn(b"--sandbox: not available in the Python client", result.stderr)


class CliAgainstScriptedServersTest(CliCase):
    def check(self, script: Script, *names: str, expected_status: int, out: bytes, err: str,
              timeout: str = "10s", java: bool = False) -> None:
        """The Python CLI, then with ``java`` (where its jar is there) the Java client, each against a fresh run of
        ``script``."""
        runs = 2 if java and self.java_missing is None else 1
        for run in range(runs):
            with ScriptedServer(self.tmp.path, script) as server:
                args = ("--socket", server.path.name, "--timeout", timeout, *names)
                result = (python_cli if run == 0 else java_cli)(*args, cwd=self.tmp.path)
            which = "python3 -m fdpass" if run == 0 else "the Java client"
            shown = f"{which}: stdout {result.stdout!r}, stderr {result.stderr!r}"
            self.assertEqual((expected_status, out, f"{err}\n".encode()),
                             (result.returncode, result.stdout, result.stderr), shown)
            (self.tmp.path / server.path.name).unlink(missing_ok=True)

    def test_not_an_fdpass_server(self) -> None:
        def greets(conn: socket.socket) -> None:
            conn.sendall(b"hello")
            drain(conn)

        self.check(greets, "courses.txt", expected_status=3, out=b"",
                   err=f"{ME}: scripted.sock: protocol violation: first frame: 0x6f (expected: HELLO); the peer is not "
                       "an fdpass v1 server", java=True)
        self.check(lambda conn: None, "courses.txt", expected_status=3, out=b"",
                   err=f"{ME}: scripted.sock: closed before HELLO (not an fdpass server, or one that could not accept it)")
        self.check(drain, "courses.txt", timeout="1s", expected_status=3, out=b"",
                   err=f"{ME}: scripted.sock: no HELLO within 1000 ms; not an fdpass v1 server?")

    def test_a_wrong_magic(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello(magic=0x46445054))
            drain(conn)

        self.check(script, "courses.txt", expected_status=3, out=b"",
                   err=f"{ME}: scripted.sock: protocol violation: magic: 0x46445054 (expected: 0x46445053 \"FDPS\"); "
                       "the peer is not an fdpass server")

    def test_a_refusal(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello() + error(6, b"uid 0 is not served (the access policy refuses it every name)"))
            drain(conn)

        self.check(script, "courses.txt", expected_status=3, out=b"",
                   err=f"{ME}: scripted.sock: server refused the connection: uid 0 is not served (the access policy "
                       "refuses it every name) (TOO_MANY_CONNECTIONS)", java=True)

    def test_an_error_instead_of_a_reply(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            read_request(conn)
            conn.sendall(error(5, b"shutting down"))
            drain(conn)

        self.check(script, "courses.txt", expected_status=3, out=b"",
                   err=f"{ME}: scripted.sock: server sent ERROR SHUTTING_DOWN: shutting down")

    def test_a_reply_for_another_request(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, names = read_request(conn)
            conn.sendall(reply(request_id + 1, [(1, 0)] * len(names)))
            drain(conn)

        self.check(script, "a.txt", "b.txt", expected_status=3, out=b"",
                   err=f"{ME}: scripted.sock: protocol violation: REPLY(id=1, [NOT_FOUND, NOT_FOUND]) does not answer "
                       "the oldest unanswered request REQUEST(id=0, names=[a.txt, b.txt])", java=True)

    def test_a_status_this_client_does_not_know_and_a_close_mid_reply(self) -> None:
        target = self.tmp.path / "served.txt"
        target.write_bytes(b"served\n")

        def unknown(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, _ = read_request(conn)
            conn.sendall(reply(request_id, [(9, 0), (0, 7)]))
            send_files(conn, [target])
            drain(conn)

        self.check(unknown, "a", "b", expected_status=1, out=b"reply: 2 names, 1 OK, 1 failed\na STATUS_9\n"
                                                         b"b OK 7 bytes: served\\n\n",
                   err=f"{ME}: a: failed with status 9, which this client does not know (STATUS_9)", java=True)

        def closes(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, _ = read_request(conn)
            conn.sendall(reply(request_id, [(0, 7), (0, 7)]))
            send_files(conn, [target])

        self.check(closes, "a", "b", expected_status=3, out=b"",
                   err=f"{ME}: scripted.sock: connection closed with 1 request(s) unanswered")

