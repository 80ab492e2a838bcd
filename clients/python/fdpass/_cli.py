"""python3 -m fdpass: the example client of the Java examples (bin/fdpass-client), line for line.

Same options, output lines, escapes, stderr lines and exit statuses, so that a script can use either; the
messages even name the program as the Java one does (fdpass-example-client), since they are the same program's
lines. The one difference: --sandbox (Landlock) is the Java client's only, and exits 4 here.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from typing import Dict, List, NoReturn, Optional, Sequence, TextIO, Tuple

from . import __version__
from ._client import Client, connect
from ._errors import FdPassError, ServerError
from ._reply import Entry
from ._wire import STATUS_NAMES, name_problem

ME = "fdpass-example-client"
OK = 0
NAME_FAILED = 1
USAGE = 2
NO_ANSWER = 3
NO_SANDBOX = 4
NAME_SHOWN = 80  # characters of a name shown, as UTF-16 counts them (the Java client's strings)
MAX_BYTES = 1 << 20
_LONG_MAX = (1 << 63) - 1

_OPTIONS_WITH_VALUE = {"--socket": "PATH", "--bytes": "N", "--timeout": "DURATION", "--try-open": "DIR"}
_FLAGS = ("--stats", "--sandbox", "-h", "--help", "-V", "--version")

USAGE_TEXT = """\
Usage: python3 -m fdpass [-hV] [--stats] [--bytes=N] --socket=PATH
                         [--timeout=DURATION] [--try-open=DIR] NAME...
Asks the fdpass server on the Unix domain socket PATH for each NAME (relative
to its root), receives an open, read-only descriptor per file and prints the
first bytes read through it: a line for the reply, then a line per name, e.g.
  courses.txt OK 16 bytes: Course1\\nCourse2\\n
Bytes are escaped (\\n, \\t, \\\\, \\xNN); a file longer than --bytes ends in
'...'. Why a name failed goes to stderr. The same lines as the Java example
client (bin/fdpass-client), which also has --sandbox.
      NAME...             Files to ask for, relative to the server's root.
      --socket=PATH       The server's socket.
      --stats             After the reply, print the client's counters to
                            stderr.
      --bytes=N           How many bytes to show from the start of each file
                            (default: 16).
      --timeout=DURATION  How long connecting (until the server's HELLO) and
                            the reply may each take (default: 10s).
      --try-open=DIR      First try to open DIR/NAME directly, for each NAME,
                            and print what happened.
  -h, --help              Show this help message and exit.
  -V, --version           Print version information and exit.

Exit status:
  0   every name was opened and read
  1   some name failed (reason on stderr)
  2   invalid command line
  3   no answer: no server, not an fdpass server, connection refused or lost
  4   --sandbox: no sandbox here (the Java client's option)
"""


class _Usage(Exception):
    """A bad command line: the message, then a hint, exit 2 (picocli's words, as the Java client has them)."""


class _Failed(Exception):
    """An error the Java client lets escape its command: the message alone, exit 1."""


class _Options:
    def __init__(self) -> None:
        self.socket = ""
        self.bytes = 16
        self.timeout: Tuple[int, int] = (10, 0)  # seconds, nanoseconds: a java.time.Duration
        self.stats = False
        self.sandbox = False
        self.try_open: Optional[str] = None
        self.names: List[str] = []
        self.help = False
        self.version = False


class _Output:
    """stdout and stderr as the Java client writes them: UTF-8, a '?' for what UTF-8 cannot hold."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self._out = out
        self._err = err

    def out(self, line: str) -> None:
        _write(self._out, line)

    def err(self, line: str) -> None:
        _write(self._err, line)


def _write(stream: TextIO, line: str) -> None:
    data = (line + "\n").encode("utf-8", "replace")
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(data)
        buffer.flush()
    else:
        stream.write(data.decode("utf-8"))


def main(argv: Optional[Sequence[str]] = None, out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> int:
    """Runs the client on ``argv`` (default: sys.argv[1:]) and returns its exit status."""
    io = _Output(out or sys.stdout, err or sys.stderr)
    args = [_as_java_string(a) for a in (sys.argv[1:] if argv is None else argv)]
    try:
        options = _parse(args)
        if options.help:
            io.out(USAGE_TEXT.rstrip("\n"))
            return OK
        if options.version:
            io.out(f"{ME} {__version__} (Python)")
            io.out(f"fdpass {__version__}, the Python client of protocol v1")
            io.out(f"Python {platform.python_version()} ({platform.python_implementation()}), "
                   f"{platform.system()} {platform.machine()}")
            return OK
        if not 0 <= options.bytes <= MAX_BYTES:
            raise _Usage(f"--bytes: {options.bytes} (expected: 0..{MAX_BYTES})")
        return _run(options, io)
    except _Usage as e:
        io.err(f"{ME}: {e}")
        io.err(f"Try '{ME} --help' for more information.")
        return USAGE
    except _Failed as e:
        io.err(f"{ME}: {e}")
        return 1
    except KeyboardInterrupt:
        return 130


def _run(options: _Options, io: _Output) -> int:
    if options.sandbox:
        io.err(f"{ME}: --sandbox: not available in the Python client (Landlock is the Java client's: "
               "bin/fdpass-client)")
        return NO_SANDBOX
    if options.try_open is not None:
        for name in options.names:
            io.out("direct open: " + _open_directly(options.try_open, name))
    socket_path = options.socket
    timeout = _timeout_seconds(*options.timeout)
    try:
        client = connect(socket_path, timeout=timeout)
    except ServerError as e:
        # The server refused the connection (HELLO, then ERROR): its message says why, in one line.
        io.err(f"{ME}: {socket_path}: {_first_line(str(e))}")
        return NO_ANSWER
    except FdPassError as e:
        # Connecting failed: the message is one line and names the socket.
        io.err(f"{ME}: {_first_line(str(e))}")
        return NO_ANSWER
    with client:
        try:
            return _ask(client, options, io)
        except ValueError as e:
            # The request breaks the limits the server announced (too many names, too long).
            io.err(f"{ME}: request refused before sending: {e}")
            return USAGE
        except FdPassError as e:
            io.err(f"{ME}: {socket_path}: {_first_line(str(e))}")
            return NO_ANSWER


def _ask(client: Client, options: _Options, io: _Output) -> int:
    names = options.names
    # As they are: the server judges every name (INVALID_NAME for those no server could serve), as it does the
    # Java client's.
    client._send_unchecked([name.encode("utf-8", "replace") for name in names], names)
    with client.receive() as reply:
        ok = sum(1 for entry in reply if entry.ok)
        io.out(f"reply: {len(names)} {'name' if len(names) == 1 else 'names'}, {ok} OK, {len(names) - ok} failed")
        status = OK
        for entry in reply:
            name = display_name(entry.name)
            if entry.ok:
                try:
                    io.out(f"{name} OK {entry.size} bytes{_head(entry, options.bytes)}")
                except OSError as e:
                    io.out(f"{name} READ_FAILED")
                    io.err(f"{ME}: {name}: pread {entry.name}: {_errno_text(e)}")
                    status = NAME_FAILED
            else:
                io.out(f"{name} {_status_name(entry)}")
                io.err(f"{ME}: {name}: {_reason(entry)}")
                status = NAME_FAILED
    if options.stats:
        io.err(f"{ME}: stats: requests=1 replies=1 descriptors={ok} held=0 failures={{}}")
    return status


def _head(entry: Entry, limit: int) -> str:
    """': ' and the first ``limit`` bytes of the file, escaped, read at offset 0 through the descriptor."""
    if limit == 0:
        return ""
    data = entry.pread(limit, 0)
    return ": " + escape_bytes(data) + ("..." if entry.size > len(data) else "")


def _status_name(entry: Entry) -> str:
    code = entry.status_code
    return STATUS_NAMES[code] if 0 <= code < len(STATUS_NAMES) else f"STATUS_{code}"


_REASONS = {
    "NOT_FOUND": "no such file under the server's root",
    "PERMISSION_DENIED": "permission denied (the server may not open it, or does not serve it to you)",
    "NOT_REGULAR_FILE": "not a regular file",
    "IO_ERROR": "the server could not open it (I/O error)",
    "LIMIT_EXCEEDED": "the server is out of file descriptors",
    "OK": "opened",
}


def _reason(entry: Entry) -> str:
    """Why a name failed, one line: the Java library's words (ReceivedReply.Entry.reason), then the status."""
    status = _status_name(entry)
    if status == "INVALID_NAME":
        # The wire says only INVALID_NAME: which part of the rule the name breaks is the client's to tell.
        problem = name_problem(entry.name.encode("utf-8", "replace"))
        why = (f"invalid name: {problem}" if problem is not None
               else "it leads outside the server's root (a symlink out of it, a loop, a magic link) or holds a "
                    "component too long for its filesystem")
    else:
        why = _REASONS.get(status, f"failed with status {entry.status_code}, which this client does not know")
    return f"{why} ({status})"


# --------------------------------------------------------------------------------------------------- escaping

def escape_bytes(data: bytes) -> str:
    """Bytes as one line of printable ASCII: \\\\, \\n, \\r, \\t, and \\xNN for every other byte outside
    0x20..0x7e."""
    out = []
    for b in data:
        if b == 0x5C:
            out.append("\\\\")
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x0D:
            out.append("\\r")
        elif b == 0x09:
            out.append("\\t")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)


def escape_text(s: str) -> str:
    """A name made safe for one line: control characters (and U+2028, U+2029) and backslashes escaped as in
    escape_bytes, everything else kept."""
    out = []
    for c in s:
        if c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif ord(c) <= 0x1F or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029":
            out.append(f"\\x{ord(c):02x}")
        else:
            out.append(c)
    return "".join(out)


def display_name(name: str) -> str:
    """A name for one line: escaped, and cut after 80 characters (UTF-16 code units, as the Java client counts
    them) with its length in bytes said; the empty name as "", so that it shows."""
    if not name:
        return '""'
    escaped = escape_text(name)
    units = 0
    for i, c in enumerate(escaped):
        width = 2 if ord(c) > 0xFFFF else 1
        if units + width > NAME_SHOWN:
            # The Java client cuts between the two halves of a surrogate pair: the half left prints as '?'.
            cut = escaped[:i] + ("?" if units < NAME_SHOWN else "")
            return f"{cut}... ({len(name.encode('utf-8', 'replace'))} bytes)"
        units += width
    return escaped


def _as_java_string(arg: str) -> str:
    """An argument as the JVM sees it: bytes that are not UTF-8 become U+FFFD."""
    return os.fsencode(arg).decode("utf-8", "replace")


def _first_line(s: str) -> str:
    return s.split("\n", 1)[0]


_ERRNO_NAMES = {1: "EPERM", 2: "ENOENT", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG", 9: "EBADF", 11: "EAGAIN",
                13: "EACCES", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 23: "ENFILE",
                24: "EMFILE", 25: "ENOTTY", 32: "EPIPE", 36: "ENAMETOOLONG", 38: "ENOSYS", 40: "ELOOP",
                95: "EOPNOTSUPP", 109: "ETOOMANYREFS"}


def _errno_text(e: OSError) -> str:
    if e.errno is None:
        return str(e)
    name = _ERRNO_NAMES.get(e.errno) if sys.platform.startswith("linux") else None
    return f"{name} ({os.strerror(e.errno)})" if name else f"errno {e.errno}"


# ------------------------------------------------------------------------------------------------- --try-open

def java_path(path: str) -> str:
    """A path as java.nio's Path prints it: no repeated slash, no trailing slash."""
    normalized = re.sub("/+", "/", path)
    return normalized[:-1] if len(normalized) > 1 and normalized.endswith("/") else normalized


def _open_directly(directory: str, name: str) -> str:
    """What opening DIR/NAME for reading came to: PATH: opened, or why not (the Java client's words)."""
    if "\0" in name:
        return escape_text(name) + ": not a path"
    name = java_path(name)
    if name.startswith("/"):
        path = name
    elif not name:
        path = directory
    else:
        path = java_path(directory + "/" + name)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        if e.errno == 2:
            why = "no such file or directory"
        elif e.errno == 13:
            why = "permission denied"
        elif e.errno == 40:
            why = os.strerror(e.errno) + " or unable to access attributes of symbolic link"
        else:
            why = os.strerror(e.errno) if e.errno else str(e)
        return escape_text(f"{path}: {why}")
    os.close(fd)
    return escape_text(path) + ": opened"


# ---------------------------------------------------------------------------------------------------- parsing

def _parse(args: List[str]) -> _Options:
    """The command line as picocli parses the Java client's: options anywhere, '--' ends them, a value in the
    next argument or after '=', the same messages, and the same order of complaints (a bad value at once, then a
    missing required option or NAME, then unknown options)."""
    options = _Options()
    seen: Dict[str, str] = {}
    unknown: List[str] = []
    i = 0
    only_names = False
    while i < len(args):
        arg = args[i]
        i += 1
        if only_names:
            options.names.append(arg)
            continue
        if arg == "--":
            only_names = True
            continue
        option, equals, value = arg.partition("=")
        if not (equals and option in _OPTIONS_WITH_VALUE):
            option = arg
            if option in _OPTIONS_WITH_VALUE:
                if i >= len(args):
                    raise _Usage(f"Missing required parameter for option '{option}' "
                                 f"({_OPTIONS_WITH_VALUE[option]})")
                value = args[i]
                if _is_option(value):
                    raise _Usage(f"Expected parameter for option '{option}' but found '{value}'")
                i += 1
            elif _is_flags(option):
                options.help = options.help or "h" in option or option == "--help"
                options.version = options.version or "V" in option or option == "--version"
                options.stats = options.stats or option == "--stats"
                options.sandbox = options.sandbox or option == "--sandbox"
                continue
            elif _resembles_option(arg):
                unknown.append(arg)
                continue
            else:
                options.names.append(arg)
                continue
        _set(options, option, value)  # a value that does not convert is said first, as picocli does
        if option in seen:
            raise _Usage(f"option '{option}' ({_OPTIONS_WITH_VALUE[option]}) should be specified only once")
        seen[option] = value
    if options.help or options.version:
        return options
    missing = (["'--socket=PATH'"] if "--socket" not in seen else []) + (["'NAME'"] if not options.names else [])
    if len(missing) == 2:
        raise _Usage(f"Missing required options and parameters: {', '.join(missing)}")
    if "--socket" not in seen:
        raise _Usage("Missing required option: '--socket=PATH'")
    if not options.names:
        raise _Usage("Missing required parameter: 'NAME'")
    if unknown:
        quoted = ", ".join(f"'{u}'" for u in unknown)
        raise _Usage(f"Unknown option{'s' if len(unknown) > 1 else ''}: {quoted}")
    return options


def _set(options: _Options, option: str, value: str) -> None:
    if option == "--socket":
        options.socket = java_path(value)
    elif option == "--try-open":
        options.try_open = java_path(value)
    elif option == "--bytes":
        if not re.fullmatch(r"[+-]?[0-9]+", value) or not -(1 << 31) <= int(value) < (1 << 31):
            raise _Usage(f"Invalid value for option '--bytes': '{value}' is not an int")
        options.bytes = int(value)
    else:
        options.timeout = _duration(value)


def _is_flags(arg: str) -> bool:
    return arg in _FLAGS or (len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and set(arg[1:]) <= {"h", "V"})


def _is_option(arg: str) -> bool:
    return arg in _OPTIONS_WITH_VALUE or _is_flags(arg) or arg.partition("=")[0] in _OPTIONS_WITH_VALUE


_LONG = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|#[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
_DOUBLE = re.compile(r"[-+]?(NaN|Infinity|(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?)"
                     r"|(0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][-+]?[0-9]+))[fFdD]?")


def _resembles_option(arg: str) -> bool:
    """picocli's test for an unknown option: it starts with '-', is more than '-', and is not a number."""
    if not arg.startswith("-") or arg == "-":
        return False
    return not (_LONG.fullmatch(arg) or _DOUBLE.fullmatch(arg.strip()))


_SIMPLE_DURATION = re.compile(r"([0-9]+)(ms|s|m|h)?")
_ISO_DURATION = re.compile(r"([-+]?)P(?:([-+]?[0-9]+)D)?(?:(T)(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?"
                           r"(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


def _duration(value: str) -> Tuple[int, int]:
    """--timeout as the Java client reads it: 10s, 500ms, 2m, 1h, 0, or ISO-8601 (PT10S); as (seconds,
    nanoseconds)."""
    not_a_duration = _Usage(f"Invalid value for option '--timeout': '{value}' is not a duration "
                            "(e.g. 500ms, 10s, 2m, PT10S)")
    simple = _SIMPLE_DURATION.fullmatch(value.strip().lower())
    if simple:
        n = int(simple.group(1))
        unit = simple.group(2)
        if n > _LONG_MAX:
            raise not_a_duration
        if unit is None and n != 0:
            raise _Usage(f"Invalid value for option '--timeout': '{value}' needs a unit: ms, s, m or h (e.g. 10s)")
        if unit == "ms":
            return n // 1000, n % 1000 * 1_000_000
        seconds = n * _UNIT_SECONDS[unit or "s"]
        if seconds > _LONG_MAX:
            raise not_a_duration
        return seconds, 0
    iso = _ISO_DURATION.fullmatch(value)
    if not iso or (iso.group(3) and not any(iso.group(k) for k in (4, 5, 6))) or not any(
            iso.group(k) for k in (2, 4, 5, 6)):
        raise not_a_duration
    sign = -1 if iso.group(1) == "-" else 1
    seconds = sum(int(iso.group(k) or 0) * f for k, f in ((2, 86400), (4, 3600), (5, 60), (6, 1)))
    fraction = iso.group(7) or ""
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    if (iso.group(6) or "").startswith("-"):
        nanos = -nanos
    total_nanos = sign * (seconds * 1_000_000_000 + nanos)
    if abs(total_nanos) // 1_000_000_000 > _LONG_MAX:
        raise not_a_duration
    if total_nanos < 0:
        raise _Usage(f"Invalid value for option '--timeout': '{value}' is negative")
    return total_nanos // 1_000_000_000, total_nanos % 1_000_000_000


def _timeout_seconds(seconds: int, nanos: int) -> float:
    """The timeout the Java client gives its connection, in whole milliseconds; its errors where it fails."""
    if seconds == 0 and nanos == 0:
        raise _Failed("timeout: PT0S (expected: > 0)")
    millis = seconds * 1000 + nanos // 1_000_000
    if millis > _LONG_MAX:
        raise _Failed("long overflow")  # Duration.toMillis, which the Java client lets escape
    return millis / 1000


def run() -> NoReturn:
    """The console script's entry point."""
    raise SystemExit(main())
