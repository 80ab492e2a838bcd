"""What a client raises: every failure of the connection or of a request is an FdPassError."""

from __future__ import annotations

from . import _wire


class FdPassError(Exception):
    """A request or connection failed: the connection dropped, a timeout passed, the peer broke the protocol, or
    the server sent ERROR."""


class ServerError(FdPassError):
    """The server sent an ERROR frame; every request it had not answered fails with it, and the connection is
    closed."""

    code: int
    """The code as sent, codes this version does not know included."""
    code_name: str
    """The protocol's name of the code (``"SHUTTING_DOWN"``), or ``"UNKNOWN(99)"``."""
    message: str
    """The server's message, for people."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(_wire.error_message(code, message))
        self.code = code
        self.code_name = _wire.error_name(code) or f"UNKNOWN({code})"
        self.message = message


class ProtocolError(FdPassError):
    """The peer broke protocol v1. The connection is closed, with every descriptor received and not handed out,
    and every unanswered request fails with this error."""


class ConnectionClosed(FdPassError, ConnectionError):
    """The connection ended (the server closed it, or the client was closed) with requests unanswered."""


class FdPassTimeout(FdPassError, TimeoutError):
    """No HELLO, or no reply, within the timeout."""
