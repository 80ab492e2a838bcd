"""A connection to an fdpass server: requests out, replies and their descriptors in, over one Unix socket."""

from __future__ import annotations

import enum
import math
import os
import select
import socket
import struct
import sys
import time
from collections import deque
from types import TracebackType
from typing import Deque, Iterable, List, Optional, Sequence, Tuple, Type, Union

from . import _wire
from ._errors import ConnectionClosed, FdPassError, FdPassTimeout, ProtocolError, ServerError
from ._reply import Entry, Reply

# The longest path a Unix socket's address holds, without its NUL: sun_path is 108 bytes (macOS 104).
MAX_SOCKET_PATH = 103 if sys.platform == "darwin" else 107

# Descriptors close-on-exec from the moment they exist where the kernel can do it; elsewhere at once after.
# (Plain ints: the socket module's flags are enums, whose operators cost a call each.)
_CMSG_CLOEXEC = int(getattr(socket, "MSG_CMSG_CLOEXEC", 0))
_CTRUNC = int(socket.MSG_CTRUNC)
# Room for two descriptors, so that a message carrying two is seen (and both closed) rather than cut to one.
_CONTROL_ROOM = socket.CMSG_SPACE(2 * struct.calcsize("i"))
_SEND_FLAGS = int(getattr(socket, "MSG_NOSIGNAL", 0))
_INT = struct.Struct("i")

PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


class _Phase(enum.Enum):
    """What the reader takes next from the socket."""

    HEADER = 1  # the 5 bytes of a frame's length and type
    BODY = 2  # the rest of the frame
    DESCRIPTORS = 3  # the descriptor messages of a REPLY, one recvmsg each
    FAILED = 4  # nothing more: the connection is closed


class _Request:
    """A request written to the socket: what it asked for, then its reply or why it has none."""

    __slots__ = ("request_id", "names", "reply", "error", "abandoned")

    def __init__(self, request_id: int, names: Sequence[str]) -> None:
        self.request_id = request_id
        self.names = names
        self.reply: Optional[Reply] = None
        self.error: Optional[FdPassError] = None
        self.abandoned = False  # nobody waits any more (timed out): its descriptors are closed as they come

    @property
    def done(self) -> bool:
        return self.reply is not None or self.error is not None


class _Expired(Exception):
    """A deadline passed; the caller says what was not done in time."""


class _Eof(Exception):
    """The peer closed the connection."""


def connect(path: PathArg, *, timeout: Optional[float] = 10.0) -> Client:
    """Connects to the fdpass server listening on the Unix socket ``path`` and reads its HELLO.

    ``timeout`` (seconds) bounds connecting and the HELLO, and is the client's default for each request's reply
    (``Client.request``, ``Client.receive``); None waits without limit. Raises FdPassError saying why the server
    could not be reached (FdPassTimeout, ProtocolError for a peer that is not an fdpass v1 server, ServerError for
    a server that refuses the connection).
    """
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout: {timeout} (expected: > 0, or None)")
    address = os.fsencode(path)
    shown = os.fsdecode(path)
    if len(address) > MAX_SOCKET_PATH:
        raise FdPassError(f"{shown}: {len(address)} bytes (expected: <= {MAX_SOCKET_PATH}, what a Unix socket's "
                          "address holds)")
    deadline = None if timeout is None else time.monotonic() + timeout
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # not inheritable: close-on-exec
    try:
        _connect_socket(sock, address, shown, timeout)
        sock.setblocking(False)
        if hasattr(socket, "SO_NOSIGPIPE"):  # macOS: no MSG_NOSIGNAL, a closed peer must not kill the process
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_NOSIGPIPE, 1)
        client = Client(sock, shown, timeout)
    except BaseException:
        sock.close()
        raise
    try:
        client._await_hello(deadline)
    except BaseException:
        client.close()
        raise
    return client


def _connect_socket(sock: socket.socket, address: bytes, shown: str, timeout: Optional[float]) -> None:
    if timeout is not None:
        # A blocking connect that waits for room in a full backlog, but no longer than the timeout.
        seconds = min(int(timeout), 1 << 30)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                        struct.pack("ll", seconds, int((timeout - int(timeout)) * 1_000_000)))
    try:
        sock.connect(address)
    except FileNotFoundError as e:
        raise FdPassError(f"{shown}: no such socket file (is the server running?)") from e
    except ConnectionRefusedError as e:
        # connect(2) says ECONNREFUSED for any file that is not a listening socket, not only for a stale one.
        if os.path.isdir(address):
            why = "not a socket but a directory"
        elif os.path.isfile(address):
            why = "not a socket but a regular file"
        else:
            why = "cannot connect: connection refused (a stale socket file? is the server running?)"
        raise FdPassError(f"{shown}: {why}") from e
    except BlockingIOError as e:
        raise FdPassTimeout(f"{shown}: cannot connect within {_millis(timeout)} ms (the server's backlog is "
                            "full)") from e
    except OSError as e:
        reason = os.strerror(e.errno) if e.errno else str(e)
        raise FdPassError(f"{shown}: cannot connect: {reason}: {shown}") from e


def _millis(seconds: Optional[float]) -> int:
    return 0 if seconds is None else round(seconds * 1000)


class Client:
    """A connection to an fdpass server (``fdpass.connect`` makes one). Requests pipeline over it; replies come
    in the order of the requests.

    ``request(names)`` sends one request and returns its reply. ``send(names)`` and ``receive()`` pipeline: up to
    ``limits.max_unanswered`` requests sent and not received yet. While it waits to write, the client reads the
    replies that arrive, so a server that stops reading never blocks it.

    A Client is for one thread at a time. Closing it (or leaving its ``with`` block) closes the connection and
    every descriptor of replies not yet returned.
    """

    def __init__(self, sock: socket.socket, path: str, timeout: Optional[float]) -> None:
        self._sock = sock
        self._fd = sock.fileno()
        self._path = path
        self._timeout = timeout
        self._limits: Optional[_wire.Limits] = None
        self._next_id = 0
        self._in_flight: Deque[_Request] = deque()  # written, REPLY not wholly read yet; oldest first
        self._waiting: Deque[_Request] = deque()  # sent with send(), not returned by receive() yet; oldest first
        self._failure: Optional[FdPassError] = None
        # The reader: a frame's bytes so far, then the descriptors of its REPLY so far.
        self._phase = _Phase.HEADER
        self._want = _wire.HEADER_LENGTH
        self._buffer = bytearray()
        self._frame_type = 0
        self._reply_frame: Optional[_wire.ReplyFrame] = None
        self._fds: List[int] = []
        self._poller = select.poll()
        self._poll_mask = select.POLLIN
        self._poller.register(self._fd, self._poll_mask)

    # ------------------------------------------------------------------------------------------------ the API

    @property
    def limits(self) -> _wire.Limits:
        """The limits the server announced in its HELLO."""
        assert self._limits is not None  # connect() returns a client only after HELLO
        return self._limits

    @property
    def path(self) -> str:
        """The server's socket."""
        return self._path

    @property
    def timeout(self) -> Optional[float]:
        """How long a request waits for its reply unless told otherwise (seconds; None: no limit)."""
        return self._timeout

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (by the client, the server, or a failure)."""
        return self._failure is not None

    @property
    def unanswered(self) -> int:
        """Requests sent with send() and not yet received."""
        return len(self._waiting)

    def request(self, names: Iterable[str], *, timeout: Optional[float] = None) -> Reply:
        """Asks for ``names`` (relative to the server's root) and returns the reply, one Entry per name in order.

        ``timeout`` (seconds; None: the client's) bounds the wait for the reply; when it passes, FdPassTimeout is
        raised and the request is abandoned (its reply, when it comes, is read and its descriptors closed). A name
        that no server could serve (empty, over 4096 bytes, NUL, absolute, an empty, '.' or '..' component) raises
        ValueError before anything is sent, as does a request over the server's limits.
        """
        names = _names(names)
        encoded, length = self._check(names)
        request = self._write_request(encoded, length, names)
        return self._await(request, self._deadline(timeout), timeout)

    def send(self, names: Iterable[str]) -> int:
        """Sends a request for ``names`` without waiting for its reply, and returns its id; ``receive()`` returns
        the replies in the order sent. At most ``limits.max_unanswered`` may be sent and not received (else
        RuntimeError). Raises ValueError as ``request`` does."""
        names = _names(names)
        encoded, length = self._check(names)
        if len(self._waiting) >= self.limits.max_unanswered:
            raise RuntimeError(f"unanswered: {len(self._waiting)} (expected: < maxUnanswered "
                               f"{self.limits.max_unanswered}): receive() a reply first")
        request = self._write_request(encoded, length, names)
        self._waiting.append(request)
        return request.request_id

    def receive(self, *, timeout: Optional[float] = None) -> Reply:
        """The reply to the oldest request sent with ``send()`` and not received yet. On FdPassTimeout that
        request is abandoned (as in ``request``), and the next ``receive()`` answers the next one."""
        if not self._waiting:
            if self._failure is not None:
                raise self._failure
            raise RuntimeError("receive(): no request unanswered (send() one first)")
        request = self._waiting[0]
        try:
            return self._await(request, self._deadline(timeout), timeout)
        finally:
            self._waiting.popleft()

    def close(self) -> None:
        """Closes the connection: unanswered requests fail with ConnectionClosed, and the descriptors of replies
        not returned yet are closed. Idempotent."""
        self._fail(ConnectionClosed("client closed"), discard_answered=True)
        self._waiting.clear()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self._in_flight)} in flight"
        return f"<fdpass.Client {self._path} {self._limits}, {state}>"

    # --------------------------------------------------------------------------------------------- requests

    def _check(self, names: Sequence[str]) -> Tuple[List[bytes], int]:
        """The names as UTF-8 and the REQUEST's length, or ValueError."""
        if self._failure is not None:
            raise self._failure
        encoded = [_wire.check_name(name) for name in names]
        return encoded, _wire.check_request(encoded, self.limits)

    def _send_unchecked(self, encoded: Sequence[bytes], names: Sequence[str]) -> int:
        """Sends names as they are, valid or not, for the server to judge (the CLI's way, as the Java client's):
        only the server's limits are checked (ValueError)."""
        if self._failure is not None:
            raise self._failure
        length = _wire.check_request(encoded, self.limits)
        request = self._write_request(encoded, length, names)
        self._waiting.append(request)
        return request.request_id

    def _write_request(self, encoded: Sequence[bytes], length: int, names: Sequence[str]) -> _Request:
        request = _Request(self._next_id, names)
        self._next_id = (self._next_id + 1) & _wire.MAX_U32
        frame = _wire.encode_request(request.request_id, encoded, length)
        self._in_flight.append(request)
        deadline = self._deadline(None)
        sent = 0
        try:
            while sent < len(frame):
                try:
                    sent += self._sock.send(frame[sent:] if sent else frame, _SEND_FLAGS)
                except BlockingIOError:
                    if self._wait(deadline, writing=True):
                        # Replies first: a server whose own writes are held back stops reading us.
                        self._pump()
                        if self._failure is not None:
                            break
        except _Expired:
            self._fail(FdPassTimeout(f"could not send a request within {_millis(self._timeout)} ms "
                                     "(the server does not read)"))
        except OSError as e:
            self._salvage_error()  # a server that said why before it went away
            self._fail(ConnectionClosed(f"connection lost while sending a request ({_reason(e)})"))
        if self._failure is not None:
            raise self._error_of(request) from None
        return request

    def _await(self, request: _Request, deadline: Optional[float], timeout: Optional[float]) -> Reply:
        try:
            while not request.done:
                self._pump()
                if not request.done:
                    self._wait(deadline)
        except _Expired:
            request.abandoned = True
            raise FdPassTimeout(f"no reply within {_millis(self._timeout if timeout is None else timeout)} ms") \
                from None
        if request.error is not None:
            raise request.error
        reply = request.reply
        assert reply is not None
        request.reply = None
        return reply

    def _error_of(self, request: _Request) -> FdPassError:
        return request.error or self._failure or ConnectionClosed("connection closed")

    def _deadline(self, timeout: Optional[float]) -> Optional[float]:
        seconds = self._timeout if timeout is None else timeout
        if seconds is None:
            return None
        if not seconds > 0:
            raise ValueError(f"timeout: {seconds} (expected: > 0, or None)")
        return time.monotonic() + seconds

    def _wait(self, deadline: Optional[float], writing: bool = False) -> bool:
        """Waits until the socket is readable (True) or, when ``writing``, writable (False); _Expired at the
        deadline."""
        mask = select.POLLIN | select.POLLOUT if writing else select.POLLIN
        if mask != self._poll_mask:
            self._poller.modify(self._fd, mask)
            self._poll_mask = mask
        if deadline is None:
            events = self._poller.poll()
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Expired()
            events = self._poller.poll(math.ceil(left * 1000))
        if not events:
            raise _Expired()
        return any(e & (select.POLLIN | select.POLLHUP | select.POLLERR) for _, e in events)

    # ------------------------------------------------------------------------------------------- connecting

    def _await_hello(self, deadline: Optional[float]) -> None:
        try:
            while self._limits is None and self._failure is None:
                self._pump()
                if self._limits is None and self._failure is None:
                    self._wait(deadline)
            if self._failure is None:
                # An ERROR right behind the HELLO (a server refusing the connection) fails the connect.
                self._pump(eager=True)
        except _Expired:
            self._fail(FdPassTimeout(f"{self._path}: no HELLO within {_millis(self._timeout)} ms; "
                                     "not an fdpass v1 server?"))
        failure = self._failure
        if failure is None:
            return
        if isinstance(failure, (ServerError, FdPassTimeout)):
            raise failure
        if isinstance(failure, ConnectionClosed) and self._limits is None:
            raise ConnectionClosed(f"{self._path}: closed before HELLO (not an fdpass server, or one that could not "
                                   "accept it)") from failure
        raise type(failure)(f"{self._path}: {failure}") from failure

    # ----------------------------------------------------------------------------------------------- reading

    def _pump(self, eager: bool = False) -> None:
        """Reads what the socket holds, as far as it is due (HELLO, the replies of requests in flight; anything
        there when ``eager``), without waiting. A failure is recorded, not raised: every request waiting learns it."""
        try:
            while True:
                if self._phase is _Phase.HEADER and self._limits is not None and not self._in_flight and not eager:
                    return
                if self._phase is _Phase.FAILED:
                    return
                self._step()
        except BlockingIOError:
            return
        except _wire.WireError as e:
            self._fail(ProtocolError(f"protocol violation: {e}"), discard_answered=True)
        except _Eof:
            self._fail(ConnectionClosed(self._closed_message()))
        except OSError as e:  # ECONNRESET and the like
            self._fail(ConnectionClosed(f"{self._closed_message()} ({_reason(e)})"))

    def _step(self) -> None:
        """One read: frame bytes, or one descriptor message. Raises BlockingIOError when nothing is there."""
        if self._phase is _Phase.DESCRIPTORS:
            frame = self._reply_frame
            assert frame is not None
            fds = self._fds
            while len(fds) < frame.descriptors:
                fds.append(self._receive_descriptor())
            self._phase = _Phase.HEADER
            self._fds = []
            self._reply_frame = None
            self._complete(frame, fds)
            return
        # Exactly what the frame has left: a read past its end would make the kernel drop the descriptors of the
        # messages behind it.
        chunk = self._sock.recv(self._want - len(self._buffer))
        if not chunk:
            raise _Eof()
        if len(chunk) + len(self._buffer) < self._want:
            self._buffer += chunk
            return
        data = bytes(self._buffer + chunk) if self._buffer else chunk
        self._buffer.clear()
        if self._phase is _Phase.HEADER:
            self._frame_type, self._want = _wire.decode_header(data, self._limits is not None)
            self._phase = _Phase.BODY
            return
        self._want = _wire.HEADER_LENGTH
        self._phase = _Phase.HEADER
        self._on_frame(data)

    def _on_frame(self, body: bytes) -> None:
        if self._frame_type == _wire.TYPE_HELLO:
            if self._limits is not None:
                raise _wire.WireError("a second HELLO")
            self._limits = _wire.decode_hello(body)
        elif self._frame_type == _wire.TYPE_REPLY:
            frame = _wire.decode_reply(body)
            head = self._in_flight[0] if self._in_flight else None
            if head is None or head.request_id != frame.request_id or len(head.names) != len(frame.statuses):
                raise _wire.WireError(f"{frame} does not answer " + (
                    "any request" if head is None else
                    "the oldest unanswered request " + _wire.describe_request(head.request_id, head.names)))
            if frame.descriptors:
                self._phase = _Phase.DESCRIPTORS
                self._reply_frame = frame
            else:
                self._complete(frame, [])
        else:
            code, message = _wire.decode_error(body)
            # The server stops reading after an ERROR and sends nothing more: the connection is over.
            self._fail(ServerError(code, message))

    def _receive_descriptor(self) -> int:
        data, ancillary, flags, _ = self._sock.recvmsg(1, _CONTROL_ROOM, _CMSG_CLOEXEC)
        if len(ancillary) == 1 and not flags & _CTRUNC:
            level, kind, payload = ancillary[0]
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS and len(payload) == _INT.size:
                fd: int = _INT.unpack(payload)[0]
                if not _CMSG_CLOEXEC:
                    os.set_inheritable(fd, False)
                return fd
        fds: List[int] = []
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.extend(fd for (fd,) in _INT.iter_unpack(payload[:len(payload) - len(payload) % _INT.size]))
        if not _CMSG_CLOEXEC:
            for fd in fds:
                os.set_inheritable(fd, False)
        if len(fds) == 1 and not flags & _CTRUNC:
            return fds[0]
        for fd in fds:
            os.close(fd)
        if not data:
            raise _Eof()
        raise _wire.WireError("a descriptor message that did not carry exactly one descriptor")

    def _complete(self, frame: _wire.ReplyFrame, fds: List[int]) -> None:
        request = self._in_flight.popleft()
        if request.abandoned:
            for fd in fds:
                os.close(fd)
            return
        entries = []
        taken = 0
        for name, status, size in zip(request.names, frame.statuses, frame.sizes):
            if status == _wire.STATUS_OK:
                entries.append(Entry(name, status, size, fds[taken]))
                taken += 1
            else:
                entries.append(Entry(name, status, size))
        request.reply = Reply(request.request_id, entries)

    def _closed_message(self) -> str:
        unanswered = len(self._in_flight)
        return "connection closed" + (f" with {unanswered} request(s) unanswered" if unanswered else "")

    def _salvage_error(self) -> None:
        """Reads an ERROR already in the socket, if there is one: why the server stopped reading."""
        self._pump(eager=True)

    # ------------------------------------------------------------------------------------------------ failing

    def _fail(self, error: FdPassError, discard_answered: bool = False) -> None:
        """Ends the connection: every request in flight fails with ``error`` (the first failure stays the
        failure), descriptors received and not handed out are closed; with ``discard_answered`` also those of
        replies read but not returned yet (a protocol violation: nothing read on this connection is trusted)."""
        if self._failure is None:
            self._failure = error
        error = self._failure
        self._phase = _Phase.FAILED
        for fd in self._fds:
            os.close(fd)
        self._fds = []
        self._reply_frame = None
        for request in self._in_flight:
            request.error = error
        self._in_flight.clear()
        if discard_answered:
            for request in self._waiting:
                if request.reply is not None:
                    request.reply.close()
                    request.reply = None
                    request.error = error
        try:
            self._poller.unregister(self._fd)
        except (KeyError, ValueError):
            pass
        self._sock.close()


def _names(names: Iterable[str]) -> List[str]:
    if isinstance(names, (str, bytes)):
        raise TypeError(f"names: {type(names).__name__} (expected: a list of names, such as [{names!r}])")
    return list(names)


def _reason(e: OSError) -> str:
    return os.strerror(e.errno) if e.errno else str(e)
