"""What the tests share: the process's descriptors, the example server as a process, scripted servers, frames."""

from __future__ import annotations

import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import unittest
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # clients/python
REPO = PACKAGE_DIR.parents[1]
SEED_FILES = {"courses.txt": b"Course1\nCourse2\n", "campusinfo.txt": b"Campus1\nCampus2", "contacts.txt": b"Contacts\n"}
SEED_NAMES = list(SEED_FILES)
# How long anything in a test may take before the test says what did not happen (never a pause that
# synchronises: every wait here ends as soon as what it waits for happens).
PATIENCE = 60.0


# ------------------------------------------------------------------------------------------------ descriptors

def open_fds() -> Dict[int, str]:
    """This process's open descriptors and what each is (/proc/self/fd on Linux, /dev/fd on macOS)."""
    directory = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
    found = {}
    for entry in os.listdir(directory):
        fd = int(entry)
        try:
            os.fstat(fd)  # the listing's own descriptor is closed by now
        except OSError:
            continue
        try:
            found[fd] = os.readlink(f"{directory}/{entry}")
        except OSError:
            found[fd] = "?"
    return found


class FdTestCase(unittest.TestCase):
    """A test that ends with the process holding the descriptors it held before, and no more."""

    def setUp(self) -> None:
        super().setUp()
        self.fds_before = open_fds()

    def assertNoDescriptorLeft(self) -> None:
        extra = {fd: what for fd, what in open_fds().items() if fd not in self.fds_before}
        self.assertEqual({}, extra, "descriptors left open")


# ---------------------------------------------------------------------------------------------- the example server

def find_java() -> Optional[str]:
    """A JDK 25 java: $FDPASS_JAVA (the build sets it), else what the repository's .mvn/jdk.sh finds."""
    java = os.environ.get("FDPASS_JAVA")
    if java:
        return java
    script = REPO / ".mvn" / "jdk.sh"
    if not script.exists():
        return None
    found = subprocess.run(["sh", "-c", f'. "{script}" >/dev/null 2>&1 && printf %s "$JAVA_HOME"'],
                           capture_output=True, text=True, timeout=PATIENCE)
    home = found.stdout.strip()
    return f"{home}/bin/java" if found.returncode == 0 and home else None


def example_jar(name: str) -> Path:
    variable = {"server": "FDPASS_SERVER_JAR", "client": "FDPASS_CLIENT_JAR"}[name]
    return Path(os.environ.get(variable) or REPO / "examples" / "target" / f"fdpass-example-{name}.jar")


def require_jar(name: str) -> Tuple[str, Path]:
    """The java and the example jar, or a skip saying what is missing (a failure where the build requires them)."""
    java = find_java()
    jar = example_jar(name)
    missing = ("no JDK 25 found (set FDPASS_JAVA)" if java is None
               else f"{jar} is missing (./mvnw -B -ntp -q -pl examples -am package -DskipTests)"
               if not jar.is_file() else None)
    if missing is None:
        assert java is not None
        return java, jar
    if os.environ.get("FDPASS_REQUIRE_JARS") == "1":
        raise AssertionError(missing)
    raise unittest.SkipTest(missing)


def write_seed_files(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in SEED_FILES.items():
        (root / name).write_bytes(content)


class ExampleServer:
    """examples/target/fdpass-example-server.jar in a process (and process group) of its own."""

    def __init__(self, socket_path: Path, root: Path, *args: str, prefix: Sequence[str] = ()) -> None:
        java, jar = require_jar("server")
        self.socket_path = socket_path
        self.command = [*prefix, java, "-jar", str(jar), "--socket", str(socket_path), "--root", str(root), *args]
        self._lines: List[str] = []
        self._lock = threading.Lock()
        self._signalled = False
        self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, start_new_session=True)
        assert self.process.stderr is not None
        self._stderr = self.process.stderr
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read_log, name="example-server-log", daemon=True)
        self._reader.start()
        # Its log says when it listens: no polling for the socket file.
        if not self._ready.wait(PATIENCE * 2) or self.process.poll() is not None:
            self.kill()
            raise AssertionError(f"the example server did not start: {' '.join(self.command)}\n{self.log}")

    def _read_log(self) -> None:
        for raw in self._stderr:
            line = raw.decode("utf-8", "replace")
            with self._lock:
                self._lines.append(line)
            if "fdpass server listening on" in line:
                self._ready.set()
        self._ready.set()  # it ended: whoever waits finds out from poll()

    @property
    def log(self) -> str:
        with self._lock:
            return "".join(self._lines)

    @property
    def pid(self) -> int:
        return self.process.pid

    def shut_down(self) -> None:
        """SIGTERM, once: a second one makes it exit at once."""
        if not self._signalled and self.process.poll() is None:
            self._signalled = True
            self.process.send_signal(signal.SIGTERM)

    def terminate(self) -> int:
        """SIGTERM, then its exit status once it has shut down (protocol "Closing")."""
        self.shut_down()
        try:
            return self.process.wait(PATIENCE)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the example server did not stop on SIGTERM\n{self.log}") from None

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(PATIENCE)
        self._reader.join(PATIENCE)
        self._stderr.close()

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                self.terminate()
        finally:
            self.kill()


# ------------------------------------------------------------------------------------------------------ frames

MAGIC = 0x46445053


def frame(frame_type: int, body: bytes) -> bytes:
    return struct.pack(">IB", len(body) + 1, frame_type) + body


def hello(max_names: int = 64, max_frame_length: int = 65536, max_unanswered: int = 32, magic: int = MAGIC,
          version: int = 1, extra: bytes = b"") -> bytes:
    return frame(4, struct.pack(">IHHIH", magic, version, max_names, max_frame_length, max_unanswered) + extra)


def reply(request_id: int, entries: Sequence[Tuple[int, int]]) -> bytes:
    body = struct.pack(">IH", request_id, len(entries))
    body += b"".join(struct.pack(">BQ", status, size) for status, size in entries)
    return frame(2, body)


def error(code: int, message: bytes) -> bytes:
    return frame(3, struct.pack(">HH", code, len(message)) + message)


def recv_exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError(f"end of stream after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_request(conn: socket.socket) -> Tuple[int, List[bytes]]:
    """The next REQUEST's id and names."""
    length, frame_type = struct.unpack(">IB", recv_exactly(conn, 5))
    assert frame_type == 1, f"frame type {frame_type}"
    body = recv_exactly(conn, length - 1)
    request_id, count = struct.unpack_from(">IH", body)
    names = []
    at = 6
    for _ in range(count):
        (n,) = struct.unpack_from(">H", body, at)
        names.append(body[at + 2:at + 2 + n])
        at += 2 + n
    assert at == len(body)
    return request_id, names


def send_descriptors(conn: socket.socket, fds: Sequence[int], data: bytes = b"\0") -> None:
    """One descriptor message carrying ``fds`` (none: a plain byte)."""
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))] if fds else []
    conn.sendmsg([data], ancillary)


def send_files(conn: socket.socket, paths: Sequence[Path], per_message: int = 1) -> None:
    """Opens each file and sends its descriptors, ``per_message`` to a message; closes its own copies."""
    fds = [os.open(p, os.O_RDONLY | os.O_CLOEXEC) for p in paths]
    try:
        for i in range(0, len(fds), per_message):
            send_descriptors(conn, fds[i:i + per_message])
    finally:
        for fd in fds:
            os.close(fd)


def drain(conn: socket.socket) -> None:
    """Reads until the client closes its end (a server following "Closing")."""
    conn.settimeout(PATIENCE)
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


Script = Callable[[socket.socket], None]


class ScriptedServer:
    """A Unix socket server in a thread of this process that plays ``script`` on each connection it accepts, then
    closes it. ``close()`` ends the thread and every socket of its own, so that a test counts only the client's
    descriptors."""

    def __init__(self, directory: Path, script: Script, connections: int = 1) -> None:
        self.path = directory / "scripted.sock"
        self.failures: List[BaseException] = []
        self._script = script
        self._connections = connections
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.path))
        self._listener.listen(8)
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._serve, name="scripted-server", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            for _ in range(self._connections):
                readable, _, _ = select.select([self._listener, self._wake_read], [], [])
                if self._wake_read in readable:
                    return
                conn, _ = self._listener.accept()
                with conn:
                    try:
                        self._script(conn)
                    except (OSError, EOFError):
                        pass  # the client went away: what the script tests
        except BaseException as e:  # noqa: B902 - reported by close()
            self.failures.append(e)

    def close(self) -> None:
        os.write(self._wake_write, b"x")
        self._thread.join(PATIENCE)
        alive = self._thread.is_alive()
        self._listener.close()
        os.close(self._wake_read)
        os.close(self._wake_write)
        if alive:
            raise AssertionError("the scripted server's thread did not end")
        if self.failures:
            raise AssertionError(f"the scripted server failed: {self.failures[0]!r}") from self.failures[0]

    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TempDir:
    """A temporary directory as a Path, short enough for a Unix socket's address."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="fdpy.", dir="/tmp" if os.path.isdir("/tmp") else None)
        self.path = Path(self._dir.name)

    def cleanup(self) -> None:
        self._dir.cleanup()


def python_cli(*args: str, cwd: Optional[Path] = None, timeout: float = PATIENCE) -> "subprocess.CompletedProcess[bytes]":
    """``python3 -m fdpass ARGS`` from this source tree, in a process of its own."""
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_DIR))
    return subprocess.run([sys.executable, "-m", "fdpass", *args], capture_output=True, cwd=cwd, env=env,
                          timeout=timeout)


def java_cli(*args: str, cwd: Optional[Path] = None, timeout: float = PATIENCE) -> "subprocess.CompletedProcess[bytes]":
    """The Java example client with the same arguments."""
    java, jar = require_jar("client")
    return subprocess.run([java, "-jar", str(jar), *args], capture_output=True, cwd=cwd, timeout=timeout)

