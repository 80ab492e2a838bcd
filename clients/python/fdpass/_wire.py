"""Protocol v1 on the wire and nothing else: its numbers, the frames a client writes and reads, the names.

Every number comes from PROTOCOL.md; the messages follow the Java codec's ("count: 70 (expected: 1..64)"), so
that both clients say the same thing about the same bytes.
"""

from __future__ import annotations

import codecs
import struct
from typing import List, NamedTuple, Optional, Sequence, Tuple

VERSION = 1
MAGIC = 0x46445053  # "FDPS"

TYPE_REQUEST = 0x01
TYPE_REPLY = 0x02
TYPE_ERROR = 0x03
TYPE_HELLO = 0x04

HEADER_LENGTH = 5  # u32 length, u8 type
HELLO_BODY_LENGTH = 14
REQUEST_FIXED_LENGTH = 6  # u32 id, u16 count
REPLY_FIXED_LENGTH = 6  # u32 id, u16 count
REPLY_ENTRY_LENGTH = 9  # u8 status, u64 size
ERROR_FIXED_LENGTH = 4  # u16 code, u16 msgLength

MAX_NAMES_LIMIT = 64
MIN_FRAME_LENGTH_LIMIT = 8192
MAX_FRAME_LENGTH_LIMIT = 65536
MAX_UNANSWERED_LIMIT = 65535
MAX_NAME_LENGTH = 4096
MAX_MESSAGE_LENGTH = 1024
MAX_U16 = 65535
MAX_U32 = 0xFFFFFFFF
# The largest frame length a client reads: room for HELLO, the longest ERROR and a REPLY of 64 entries (the Java
# client's decoder takes the same).
MAX_INCOMING_FRAME_LENGTH = 8192

STATUS_OK = 0
STATUS_NAMES = ("OK", "NOT_FOUND", "PERMISSION_DENIED", "INVALID_NAME", "NOT_REGULAR_FILE", "IO_ERROR",
                "LIMIT_EXCEEDED")
ERROR_NAMES = (None, "MALFORMED_FRAME", "FRAME_TOO_LARGE", "TOO_MANY_NAMES", "UNSUPPORTED_TYPE", "SHUTTING_DOWN",
               "TOO_MANY_CONNECTIONS", "TIMED_OUT")
TOO_MANY_CONNECTIONS = 6
TIMED_OUT = 7

_HEADER = struct.Struct(">IB")
_HELLO = struct.Struct(">IHHIH")
_ID_COUNT = struct.Struct(">IH")
_ENTRY = struct.Struct(">BQ")
_ERROR = struct.Struct(">HH")
_U16 = struct.Struct(">H")


def _question_mark(error: UnicodeError) -> Tuple[str, int]:
    # One '?' per malformed sequence, as the Java client decodes an ERROR's message: its UTF-8 then never outgrows
    # the wire's bytes (U+FFFD takes three).
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return "?", error.end


_QUESTION_MARK = "fdpass.question-mark"
codecs.register_error(_QUESTION_MARK, _question_mark)


class WireError(Exception):
    """Bytes that break protocol v1; the client turns it into a ProtocolError."""


class Limits(NamedTuple):
    """What the server announced in its HELLO."""

    max_names: int
    """Names per request the server accepts, 1..64."""
    max_frame_length: int
    """The largest request frame (its length field) the server accepts, 8192..65536."""
    max_unanswered: int
    """Requests a client may have unanswered before the server stops reading from it."""


def status_name(code: int) -> str:
    """The protocol's name of an entry status; ``UNKNOWN(9)`` for a code v1 does not define."""
    return STATUS_NAMES[code] if 0 <= code < len(STATUS_NAMES) else f"UNKNOWN({code})"


def error_name(code: int) -> Optional[str]:
    """The protocol's name of an ERROR code, or None for a code v1 does not define."""
    return ERROR_NAMES[code] if 0 < code < len(ERROR_NAMES) else None


def type_name(frame_type: int) -> str:
    names = {TYPE_REQUEST: "REQUEST", TYPE_REPLY: "REPLY", TYPE_ERROR: "ERROR", TYPE_HELLO: "HELLO"}
    return names.get(frame_type, f"0x{frame_type:x}")


def reply_frame_length(count: int) -> int:
    """What a REPLY for ``count`` names occupies on the wire: 11 + 9 × count bytes."""
    return HEADER_LENGTH + REPLY_FIXED_LENGTH + REPLY_ENTRY_LENGTH * count


# ---------------------------------------------------------------------------------------------------------- names

def check_name(name: str) -> bytes:
    """The name as UTF-8, or ValueError saying which part of protocol v1's "Names" it breaks (``name 'a//b': an
    empty component ('//')``), in the words the Java client uses.

    Only what a server would answer INVALID_NAME whatever its root holds: symlinks are the server's to judge.
    """
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"name {_shown(name)}: not strict UTF-8 (RFC 3629): a lone surrogate at character "
                         f"{e.start}") from None
    # Python's UTF-8 is strict: only the rest of the rule is left. A name that passes these searches keeps it;
    # one that does not is walked byte by byte to say where it breaks it.
    if (not 0 < len(encoded) <= MAX_NAME_LENGTH or b"\0" in encoded or encoded[0] == 0x2F or b"//" in encoded
            or encoded[-1] == 0x2F or ((encoded[0] == 0x2E or b"/." in encoded)
                                       and any(c in (b".", b"..") for c in encoded.split(b"/")))):
        problem = name_problem(encoded)
        assert problem is not None, encoded
        raise ValueError(f"name {_shown(name)}: {problem}")
    return encoded


# What the current component holds so far, as name_problem walks a name.
_EMPTY, _DOT, _DOT_DOT, _OTHER = range(4)


def name_problem(name: bytes) -> Optional[str]:
    """Which part of the rule of protocol v1's "Names" ``name`` breaks, in words for a message that begins
    "invalid name: " (``"a '..' component"``), or None if it is a valid name: the first thing wrong, walking it
    byte by byte, as the Java library's Names.problem says it."""
    if not name:
        return "empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"too long: {len(name)} bytes (expected: at most {MAX_NAME_LENGTH})"
    kind = _EMPTY
    pending = 0  # UTF-8 continuation bytes still due, and the range the next one must fall in (RFC 3629)
    low, high = 0x80, 0xBF
    for at, b in enumerate(name):
        if pending:
            if not low <= b <= high:
                return f"not strict UTF-8 (RFC 3629) at byte offset {at}"
            pending -= 1
            low, high = 0x80, 0xBF
        elif b == 0x2F:
            if kind != _OTHER:
                return _component_problem(kind, at, at_end=False)
            kind = _EMPTY
        elif b == 0x2E:
            kind = _DOT if kind == _EMPTY else _DOT_DOT if kind == _DOT else _OTHER
        elif b < 0x80:
            if b == 0:
                return f"a NUL byte at offset {at}"
            kind = _OTHER
        elif b < 0xC2:  # a continuation byte without a lead, or C0/C1: overlong 2-byte forms
            return f"not strict UTF-8 (RFC 3629) at byte offset {at}"
        elif b < 0xE0:
            kind, pending = _OTHER, 1
        elif b < 0xF0:  # after E0 no overlong 3-byte form, after ED no surrogate
            kind, pending = _OTHER, 2
            low, high = (0xA0 if b == 0xE0 else 0x80), (0x9F if b == 0xED else 0xBF)
        elif b < 0xF5:  # after F0 no overlong 4-byte form, after F4 nothing above U+10FFFF
            kind, pending = _OTHER, 3
            low, high = (0x90 if b == 0xF0 else 0x80), (0x8F if b == 0xF4 else 0xBF)
        else:
            return f"not strict UTF-8 (RFC 3629) at byte offset {at}"
    if pending:
        return "not strict UTF-8 (RFC 3629): it ends inside a character"
    return None if kind == _OTHER else _component_problem(kind, len(name), at_end=True)


def _component_problem(kind: int, at: int, at_end: bool) -> str:
    if kind == _DOT:
        return "a '.' component"
    if kind == _DOT_DOT:
        return "a '..' component"
    if at == 0:
        return "absolute: it begins with '/' (names are relative to the server's root)"
    return "an empty component: it ends with '/'" if at_end else "an empty component ('//')"


def _shown(name: str) -> str:
    return repr(name) if len(name) <= 80 else repr(name[:80]) + "..."


# ------------------------------------------------------------------------------------------------ client to server

def check_request(encoded: Sequence[bytes], limits: Limits) -> int:
    """The REQUEST's length field, or ValueError if a request for these names breaks the server's limits, in the
    Java client's order and words."""
    if not encoded or len(encoded) > limits.max_names:
        raise ValueError(f"names: {len(encoded)} (expected: 1..{limits.max_names})")
    length = 1 + REQUEST_FIXED_LENGTH
    for name in encoded:
        if len(name) > MAX_U16:
            raise ValueError(f"nameLength: {len(name)} (expected: 0..{MAX_U16})")
        length += 2 + len(name)
    if length > limits.max_frame_length:
        raise ValueError(f"request length: {length} (expected: <= {limits.max_frame_length})")
    return length


def request_frame_length(encoded: Sequence[bytes]) -> int:
    """A REQUEST's length field (type and body): what a HELLO's maxFrameLength bounds."""
    return 1 + REQUEST_FIXED_LENGTH + sum(2 + len(name) for name in encoded)


def encode_request(request_id: int, encoded: Sequence[bytes], length: int = 0) -> bytes:
    """A REQUEST frame; ``check_request`` has passed (and returned ``length``, computed here when 0)."""
    parts: List[bytes] = [_HEADER.pack(length or request_frame_length(encoded), TYPE_REQUEST),
                          _ID_COUNT.pack(request_id, len(encoded))]
    for name in encoded:
        parts.append(_U16.pack(len(name)))
        parts.append(name)
    return b"".join(parts)


def describe_request(request_id: int, names: Sequence[str]) -> str:
    return f"REQUEST(id={request_id}, names=[{', '.join(names)}])"


# ------------------------------------------------------------------------------------------------ server to client

def decode_header(header: bytes, hello_seen: bool) -> Tuple[int, int]:
    """The (type, body length) of a frame, judged as the Java client's decoder judges it."""
    length, frame_type = _HEADER.unpack(header)
    if not hello_seen and frame_type != TYPE_HELLO:
        raise WireError(f"first frame: {type_name(frame_type)} (expected: HELLO); "
                        "the peer is not an fdpass v1 server")
    if length == 0 or length > MAX_INCOMING_FRAME_LENGTH:
        raise WireError(f"length: {length} (expected: 1..{MAX_INCOMING_FRAME_LENGTH})")
    body_length = length - 1
    if frame_type == TYPE_HELLO:
        minimum = HELLO_BODY_LENGTH
    elif frame_type == TYPE_REPLY:
        minimum = REPLY_FIXED_LENGTH + REPLY_ENTRY_LENGTH
    elif frame_type == TYPE_ERROR:
        minimum = ERROR_FIXED_LENGTH
    else:
        raise WireError(f"type: {type_name(frame_type)} (expected: REPLY or ERROR)")
    if body_length < minimum:
        raise WireError(f"{type_name(frame_type)} body: {body_length} bytes (expected: >= {minimum})")
    return frame_type, body_length


def decode_hello(body: bytes) -> Limits:
    magic, version, max_names, max_frame_length, max_unanswered = _HELLO.unpack_from(body)
    if magic != MAGIC:
        raise WireError(f"magic: 0x{magic:x} (expected: 0x46445053 \"FDPS\"); the peer is not an fdpass server")
    if version != VERSION:
        raise WireError(f"version: {version} (expected: {VERSION})")
    _check_hello("maxNames", max_names, 1, MAX_NAMES_LIMIT)
    _check_hello("maxFrameLength", max_frame_length, MIN_FRAME_LENGTH_LIMIT, MAX_FRAME_LENGTH_LIMIT)
    _check_hello("maxUnanswered", max_unanswered, 1, MAX_UNANSWERED_LIMIT)
    return Limits(max_names, max_frame_length, max_unanswered)


def _check_hello(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise WireError(f"HELLO {name}: {value} (expected: {low}..{high})")


class ReplyFrame(NamedTuple):
    request_id: int
    statuses: Tuple[int, ...]
    sizes: Tuple[int, ...]
    descriptors: int
    """Descriptor messages that follow: one per OK entry."""

    def __str__(self) -> str:
        # The Java codec's toString: an unknown status shows as UNKNOWN, without its code.
        entries = ", ".join((STATUS_NAMES[s] if s < len(STATUS_NAMES) else "UNKNOWN")
                            + (f" {size}" if s == STATUS_OK else "")
                            for s, size in zip(self.statuses, self.sizes))
        return f"REPLY(id={self.request_id}, [{entries}])"


def decode_reply(body: bytes) -> ReplyFrame:
    request_id, count = _ID_COUNT.unpack_from(body)
    entries = (len(body) - REPLY_FIXED_LENGTH) // REPLY_ENTRY_LENGTH
    if count != entries or len(body) != REPLY_FIXED_LENGTH + REPLY_ENTRY_LENGTH * count:
        raise WireError(f"REPLY count: {count} (expected: {entries} for a body of {len(body)} bytes)")
    statuses = []
    sizes = []
    descriptors = 0
    for i in range(count):
        status, size = _ENTRY.unpack_from(body, REPLY_FIXED_LENGTH + REPLY_ENTRY_LENGTH * i)
        if status == STATUS_OK:
            descriptors += 1
            if size >= 1 << 63:
                raise WireError(f"REPLY sizes[{i}]: {size - (1 << 64)} (expected: >= 0)")
        elif size != 0:
            signed = size - (1 << 64) if size >= 1 << 63 else size
            raise WireError(f"REPLY sizes[{i}]: {signed} (expected: 0 for status {status})")
        statuses.append(status)
        sizes.append(size)
    return ReplyFrame(request_id, tuple(statuses), tuple(sizes), descriptors)


def decode_error(body: bytes) -> Tuple[int, str]:
    """The (code, message) of an ERROR; malformed UTF-8 in the message becomes '?', as in the Java client."""
    code, message_length = _ERROR.unpack_from(body)
    if message_length > MAX_MESSAGE_LENGTH or message_length != len(body) - ERROR_FIXED_LENGTH:
        raise WireError(f"ERROR msgLength: {message_length} (expected: {len(body) - ERROR_FIXED_LENGTH}, "
                        f"<= {MAX_MESSAGE_LENGTH})")
    return code, body[ERROR_FIXED_LENGTH:].decode("utf-8", _QUESTION_MARK)


def error_message(code: int, message: str) -> str:
    """The one line for people that an ERROR makes, in the Java client's words."""
    if code == TOO_MANY_CONNECTIONS:
        return f"server refused the connection: {message} (TOO_MANY_CONNECTIONS)"
    if code == TIMED_OUT:
        return f"server closed the connection: {message} (TIMED_OUT)"
    return f"server sent ERROR {error_name(code) or code}: {message}"
