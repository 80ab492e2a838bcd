"""fdpass: open, read-only file descriptors from an fdpass server, over a Unix socket (protocol v1).

    import fdpass

    with fdpass.connect("/run/files.sock") as client, client.request(["courses.txt"]) as reply:
        for entry in reply:
            print(entry.name, entry.status, entry.read(16) if entry.ok else b"")

Standard library only; Linux and macOS.
"""

from ._client import Client, connect
from ._errors import ConnectionClosed, FdPassError, FdPassTimeout, ProtocolError, ServerError
from ._reply import Entry, Reply
from ._wire import Limits

__version__ = "0.1.0.dev0"

__all__ = [
    "Client",
    "ConnectionClosed",
    "Entry",
    "FdPassError",
    "FdPassTimeout",
    "Limits",
    "ProtocolError",
    "Reply",
    "ServerError",
    "__version__",
    "connect",
]
