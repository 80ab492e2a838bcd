#!/usr/bin/env python3
"""Hostile and well-behaved fdpass clients, written from PROTOCOL-v1.md alone, for the scripts/attack-*.sh runs.

Each subcommand prints one summary line of key=value words (and exits 0) unless it says otherwise:

  hold       --count N --seconds T         N connections that never send anything, held T seconds
  good       --requests N --names a,b [--then c,d] [--connections C]
                                           a client that reads: on each of C connections (one after another,
                                           default 1), N requests and then one for --then, every descriptor
                                           received and read
  slowloris  --count N --interval S --seconds T   N connections sending a request one byte every S seconds
  nonreaders --count N --requests R --names a,b --seconds T   N connections that send R requests, never read
  flood      --seconds T --names a,b       connect, send one request, read to the end, again and again
  burst      --count N --timeout S         N connections at once, each waiting S seconds for its answer
  malformed  --count N --threads K         N connections: a malformed frame, its ERROR read, more bytes, a read

All take --socket PATH. Bounded in time: every wait has a timeout.
"""
import argparse
import array
import errno
import os
import select
import socket
import struct
import sys
import threading
import time

HELLO = 4
REPLY = 2
ERROR = 3
ERRORS = {1: "MALFORMED_FRAME", 2: "FRAME_TOO_LARGE", 3: "TOO_MANY_NAMES", 4: "UNSUPPORTED_TYPE",
          5: "SHUTTING_DOWN", 6: "TOO_MANY_CONNECTIONS", 7: "TIMED_OUT"}


class Closed(Exception):
    pass


def connect(path, timeout=10.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_exact(s, n):
    """Exactly n bytes with plain reads; never past them (a plain read would discard descriptors)."""
    data = bytearray()
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise Closed("end of stream after %d of %d bytes" % (len(data), n))
        data += chunk
    return bytes(data)


def read_frame(s):
    length, kind = struct.unpack(">IB", read_exact(s, 5))
    return kind, read_exact(s, length - 1)


def error_of(body):
    code, length = struct.unpack(">HH", body[:4])
    return code, body[4:4 + length].decode("utf-8", "replace")


def request(request_id, names):
    body = struct.pack(">IH", request_id, len(names))
    for name in names:
        raw = name.encode()
        body += struct.pack(">H", len(raw)) + raw
    return struct.pack(">IB", len(body) + 1, 1) + body


def receive_fd(s):
    """One descriptor message (protocol v1, "Receiving"): its descriptor."""
    msg, ancdata, flags, _ = s.recvmsg(1, socket.CMSG_SPACE(2 * 4))
    if not msg:
        raise Closed("end of stream where a descriptor message was due")
    fds = array.array("i")
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % 4])
    if len(fds) != 1 or flags & socket.MSG_CTRUNC:
        for fd in fds:
            os.close(fd)
        raise Closed("a descriptor message with %d descriptors" % len(fds))
    return fds[0]


def hello(s):
    kind, body = read_frame(s)
    if kind != HELLO or body[:4] != b"FDPS":
        raise Closed("not a HELLO: type %d" % kind)


def answered(s, wait):
    """After HELLO: ('refused', message) if an ERROR follows within wait seconds, ('closed', ...) at end of stream,
    else ('served', '')."""
    if not readable([s], wait):
        return "served", ""
    try:
        kind, body = read_frame(s)
    except (Closed, OSError) as e:
        return "closed", str(e)
    if kind == ERROR:
        code, message = error_of(body)
        return ("refused" if code == 6 else ERRORS.get(code, str(code))), message
    return "unexpected", "type %d" % kind


def readable(socks, timeout):
    """The sockets of socks that have something to read, or have ended, within timeout seconds (poll(2): select(2)
    stops at descriptor 1024)."""
    poller = select.poll()
    by_fd = {}
    for s in socks:
        poller.register(s.fileno(), select.POLLIN | select.POLLHUP)
        by_fd[s.fileno()] = s
    return [by_fd[fd] for fd, _ in poller.poll(max(0, int(timeout * 1000)))]


def summary(name, **fields):
    print(name + ": " + " ".join("%s=%s" % (k, v) for k, v in fields.items()), flush=True)


def cmd_hold(a):
    conns, outcomes, messages = [], {}, set()
    for _ in range(a.count):
        try:
            s = connect(a.socket)
            hello(s)
            conns.append(s)
        except (OSError, Closed) as e:
            outcomes["connect_failed"] = outcomes.get("connect_failed", 0) + 1
            messages.add(str(e)[:80])
    time.sleep(0.5)  # an attacker's pause, not a synchronisation: what was refused has been answered by now
    served = []
    for s in conns:
        outcome, message = answered(s, 0)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome == "served":
            served.append(s)
        else:
            if message:
                messages.add(message)
            s.close()
    summary("hold", connections=a.count, **outcomes, first_refusal=repr(sorted(messages)[:1]))
    deadline = time.monotonic() + a.seconds
    while time.monotonic() < deadline and served:
        for s in readable(served, min(1.0, max(0.0, deadline - time.monotonic()))):  # the server ended it (an idle timeout): the slot is free again
            served.remove(s)
            s.close()
    summary("hold", still_held=len(served), seconds=a.seconds)


def cmd_good(a):
    asked = [a.names.split(",")] * a.requests + ([a.then.split(",")] if a.then else [])
    latencies, failures = [], []
    start = time.monotonic()
    for c in range(a.connections):
        try:
            s = connect(a.socket)
            hello(s)
            for r, names in enumerate(asked):
                t0 = time.monotonic()
                s.sendall(request(r, names))
                kind, body = read_frame(s)
                if kind == ERROR:
                    code, message = error_of(body)
                    raise Closed("ERROR %s: %s" % (ERRORS.get(code, code), message))
                _, count = struct.unpack(">IH", body[:6])
                for i in range(count):
                    status = body[6 + 9 * i]
                    if status == 0:
                        fd = receive_fd(s)
                        try:
                            if not os.pread(fd, 16, 0):
                                failures.append("empty")
                        finally:
                            os.close(fd)
                    else:
                        failures.append("status %d" % status)
                latencies.append(time.monotonic() - t0)
            s.close()
        except (OSError, Closed) as e:
            failures.append("connection %d: %s: %s" % (c, type(e).__name__, e))
    latencies.sort()
    summary("good", served=len(latencies), of=len(asked) * a.connections, failed=len(failures),
            first_failure=repr(failures[:1]), wait_ms="%.1f" % ((time.monotonic() - start) * 1000),
            p50_ms="%.2f" % (latencies[len(latencies) // 2] * 1000 if latencies else -1),
            max_ms="%.2f" % (latencies[-1] * 1000 if latencies else -1))
    return 0 if not failures else 1


def cmd_slowloris(a):
    frame = request(1, ["courses.txt", "campusinfo.txt", "contacts.txt"])
    conns = []
    ended = {}
    for _ in range(a.count):
        s = connect(a.socket)
        try:
            hello(s)
        except (OSError, Closed):
            ended.setdefault("closed_before_hello", []).append(0.0)
            s.close()
            continue
        s.setblocking(False)
        conns.append([s, 0])
    start = time.monotonic()
    next_byte = start
    while conns and time.monotonic() - start < a.seconds:
        if time.monotonic() >= next_byte:
            for c in conns:
                if c[1] < len(frame) - 1:  # never the last byte: the frame stays begun
                    try:
                        c[0].send(frame[c[1]:c[1] + 1])
                        c[1] += 1
                    except OSError:
                        pass
            next_byte += a.interval
        for s in readable([c[0] for c in conns], 0.2):
            s.setblocking(True)
            try:
                kind, body = read_frame(s)
                what = ERRORS.get(error_of(body)[0], "?") if kind == ERROR else "type%d" % kind
            except (OSError, Closed):
                what = "closed"
            ended.setdefault(what, []).append(time.monotonic() - start)
            s.close()
            conns = [c for c in conns if c[0] is not s]
    fields = {k: "%d(after %.1f-%.1f s)" % (len(v), min(v), max(v)) for k, v in ended.items()}
    summary("slowloris", connections=a.count, interval_s=a.interval, **fields, still_open=len(conns))
    for c in conns:
        c[0].close()


def cmd_nonreaders(a):
    names = a.names.split(",")
    frames = b"".join(request(r, names) for r in range(a.requests))
    conns = []
    refused = 0
    for _ in range(a.count):
        s = connect(a.socket)
        try:
            hello(s)
        except (OSError, Closed):
            refused += 1
            s.close()
            continue
        s.setblocking(False)
        try:
            s.send(frames)  # what fits; the rest is not the point
        except OSError:
            pass
        conns.append(s)
    summary("nonreaders", connected=len(conns), closed_before_hello=refused, requests_each=a.requests,
            names=len(names))
    time.sleep(a.seconds)  # holding the connections open, unread, is the attack
    for s in conns:
        s.close()


def cmd_flood(a):
    names = a.names.split(",")
    frame = request(7, names)
    counts = {"connections": 0, "refused": 0, "replies": 0, "names_refused": 0, "other": 0}
    deadline = time.monotonic() + a.seconds
    while time.monotonic() < deadline:
        try:
            s = connect(a.socket)
            counts["connections"] += 1
            s.sendall(frame)
            hello(s)
            kind, body = read_frame(s)
            if kind == ERROR and error_of(body)[0] == 6:
                counts["refused"] += 1
            elif kind == REPLY:
                counts["replies"] += 1
                _, count = struct.unpack(">IH", body[:6])
                for i in range(count):
                    status = body[6 + 9 * i]
                    if status == 0:
                        os.close(receive_fd(s))
                    elif status == 2:
                        counts["names_refused"] += 1
            else:
                counts["other"] += 1
            s.close()
        except (OSError, Closed):
            counts["other"] += 1
    summary("flood", seconds=a.seconds, **counts)


def cmd_burst(a):
    """All connect at once and hold their connections until the timeout, as clients at work would."""
    results = {}
    lock = threading.Lock()
    deadline = time.monotonic() + a.timeout

    def one():
        s = None
        try:
            s = connect(a.socket, a.timeout)
            s.settimeout(max(0.01, deadline - time.monotonic()))
            hello(s)
            outcome, _ = answered(s, max(0.0, deadline - time.monotonic()))
        except socket.timeout:
            outcome = "no_hello_in_time"
        except Closed:
            outcome = "closed_before_hello"
        except OSError as e:
            outcome = errno.errorcode.get(e.errno, "connect_failed")
        with lock:
            results[outcome] = results.get(outcome, 0) + 1
        time.sleep(max(0.0, deadline - time.monotonic()))  # holding the connection: the clients' work
        if s is not None:
            s.close()

    threads = [threading.Thread(target=one) for _ in range(a.count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(a.timeout + 5)
    summary("burst", connections=a.count, timeout_s=a.timeout, **results)


def cmd_malformed(a):
    results = {}
    lock = threading.Lock()
    per_thread = a.count // a.threads

    def run():
        local = {}
        for _ in range(per_thread):
            outcome = "other"
            try:
                s = connect(a.socket)
                hello(s)
                s.sendall(b"\x00\x00\x00\x00\x01")  # length 0
                kind, body = read_frame(s)
                if kind != ERROR:
                    outcome = "no_error"
                else:
                    try:
                        s.send(b"\x00" * 64)  # more, as a client that writes on would (or EPIPE: fine too)
                    except OSError:
                        pass
                    try:
                        outcome = "eof" if s.recv(64) == b"" else "bytes_after_error"
                    except ConnectionResetError:
                        outcome = "ECONNRESET"
                s.close()
            except (OSError, Closed) as e:
                outcome = "failed_" + type(e).__name__
            local[outcome] = local.get(outcome, 0) + 1
        with lock:
            for k, v in local.items():
                results[k] = results.get(k, 0) + v

    threads = [threading.Thread(target=run) for _ in range(a.threads)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    summary("malformed", connections=per_thread * a.threads, seconds="%.1f" % (time.monotonic() - start),
            **results)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("hold", "good", "slowloris", "nonreaders", "flood", "burst", "malformed"):
        c = sub.add_parser(name)
        c.add_argument("--socket", required=True)
        c.add_argument("--count", type=int, default=1)
        c.add_argument("--seconds", type=float, default=10)
        c.add_argument("--requests", type=int, default=1)
        c.add_argument("--names", default="courses.txt,campusinfo.txt,contacts.txt")
        c.add_argument("--interval", type=float, default=3)
        c.add_argument("--timeout", type=float, default=5)
        c.add_argument("--threads", type=int, default=16)
        c.add_argument("--then", default="")
        c.add_argument("--connections", type=int, default=1)
    a = p.parse_args()
    return globals()["cmd_" + a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
