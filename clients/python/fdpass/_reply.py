"""What a request brings back: a Reply, a sequence of one Entry per name, each OK entry with its descriptor."""

from __future__ import annotations

import io
import os
import warnings
from types import TracebackType
from typing import Callable, Iterator, List, Optional, Sequence, Type, Union, overload

from . import _wire

_NO_DESCRIPTOR = -1


class Entry:
    """One name of a reply: its status and, when OK, the open, read-only descriptor the server sent.

    The entry owns the descriptor until it is closed (``close()``, or the reply's), detached (``detach()``) or
    handed to a file object (``open()``). Reads go through the descriptor itself: the file is never opened again.
    """

    __slots__ = ("_name", "_status_code", "_size", "_fd", "_gone")

    def __init__(self, name: str, status_code: int, size: int, fd: int = _NO_DESCRIPTOR) -> None:
        self._name = name
        self._status_code = status_code
        self._size = size
        self._fd = fd
        self._gone = ""  # why there is no descriptor any more: "closed", "detached", ...

    @property
    def name(self) -> str:
        """The name as it was asked for."""
        return self._name

    @property
    def status(self) -> str:
        """The protocol's name of the status: ``"OK"``, ``"NOT_FOUND"``...; ``"UNKNOWN(9)"`` for a code v1 does
        not define (a failure, with no descriptor)."""
        return _wire.status_name(self._status_code)

    @property
    def status_code(self) -> int:
        """The status code as sent."""
        return self._status_code

    @property
    def size(self) -> int:
        """The file's size when the server opened it (st_size); 0 unless OK."""
        return self._size

    @property
    def ok(self) -> bool:
        """Whether the server opened the file and sent its descriptor."""
        return self._status_code == _wire.STATUS_OK

    @property
    def closed(self) -> bool:
        """Whether the entry holds no descriptor (any more)."""
        return self._fd < 0

    def fileno(self) -> int:
        """The descriptor, still owned by the entry."""
        return self._descriptor()

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes from the descriptor's current offset (all of the rest for a negative ``n``), moving
        the offset; fewer only at the end of the file."""
        fd = self._descriptor()
        if n >= 0:
            return _read_fully(lambda want, got: os.read(fd, want), n)
        chunks: List[bytes] = []
        while True:
            chunk = os.read(fd, max(io.DEFAULT_BUFFER_SIZE, self._size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def pread(self, n: int, offset: int) -> bytes:
        """Up to ``n`` bytes at ``offset``, leaving the descriptor's offset as it is; fewer only at the end of the
        file."""
        if n < 0 or offset < 0:
            raise ValueError(f"n: {n}, offset: {offset} (expected: >= 0)")
        fd = self._descriptor()
        return _read_fully(lambda want, got: os.pread(fd, want, offset + got), n)

    def open(self) -> io.BufferedReader:
        """A binary file object reading through the descriptor, which it owns from now on: closing the file
        closes the descriptor, and the entry holds none any more."""
        fd = self._descriptor()
        f = io.open(fd, "rb", closefd=True)
        self._fd = _NO_DESCRIPTOR
        self._gone = "handed to a file object"
        return f

    def detach(self) -> int:
        """The descriptor, which the caller owns from now on (it is close-on-exec); the entry holds none any more."""
        fd = self._descriptor()
        self._fd = _NO_DESCRIPTOR
        self._gone = "detached"
        return fd

    def close(self) -> None:
        """Closes the descriptor, if the entry still holds one."""
        fd = self._fd
        if fd >= 0:
            self._fd = _NO_DESCRIPTOR
            self._gone = "closed"
            os.close(fd)

    def _descriptor(self) -> int:
        if self._fd >= 0:
            return self._fd
        if not self.ok:
            raise ValueError(f"{self._name}: {self.status}, no descriptor")
        raise ValueError(f"{self._name}: descriptor {self._gone}")

    def __del__(self) -> None:
        # As a file object does: an entry dropped with its descriptor closes it, and says so.
        if self._fd >= 0:
            try:
                warnings.warn(f"unclosed descriptor of {self._name!r} (fd {self._fd}): close the reply or the "
                              "entry", ResourceWarning, source=self, stacklevel=2)
            finally:
                self.close()

    def __repr__(self) -> str:
        extra = f", size={self._size}, fd={self._fd}" if self.ok else ""
        return f"Entry(name={self._name!r}, status={self.status}{extra})"


def _read_fully(read: Callable[[int, int], bytes], n: int) -> bytes:
    """Calls ``read(bytes wanted, bytes read so far)`` until it has ``n`` bytes or the end of the file."""
    chunks: List[bytes] = []
    got = 0
    while got < n:
        chunk = read(n - got, got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class Reply(Sequence[Entry]):
    """The answer to one request: one Entry per name, in the order asked. Closing it (or leaving its ``with``
    block) closes every descriptor that was neither detached nor handed to a file object."""

    __slots__ = ("_request_id", "_entries")

    def __init__(self, request_id: int, entries: Sequence[Entry]) -> None:
        self._request_id = request_id
        self._entries = tuple(entries)

    @property
    def request_id(self) -> int:
        """The id the request was sent with."""
        return self._request_id

    @property
    def all_ok(self) -> bool:
        """Whether every name was opened."""
        return all(entry.ok for entry in self._entries)

    @overload
    def __getitem__(self, index: int) -> Entry: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Entry]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[Entry, Sequence[Entry]]:
        return self._entries[index]

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    def close(self) -> None:
        """Closes every descriptor still held by an entry; idempotent."""
        failure: Optional[OSError] = None
        for entry in self._entries:
            try:
                entry.close()
            except OSError as e:  # one that fails does not keep the others open
                failure = failure or e
        if failure is not None:
            raise failure

    def __enter__(self) -> Reply:
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Reply(request_id={self._request_id}, {list(self._entries)!r})"
