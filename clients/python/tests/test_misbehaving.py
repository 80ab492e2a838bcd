"""The client against scripted servers that break the protocol, or end early: each case raises the error it
should, and leaves the process holding no descriptor more than before."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import List

import fdpass
from support import (PATIENCE, FdTestCase, Script, ScriptedServer, TempDir, drain, error, hello, read_request, reply,
                     send_descriptors, send_files)

OK, NOT_FOUND = 0, 1


class MisbehavingServerTest(FdTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmp = TempDir()
        self.files: List[Path] = []
        for i in range(4):
            f = self.tmp.path / f"file{i}.txt"
            f.write_bytes(f"content {i}\n".encode())
            self.files.append(f)

    def tearDown(self) -> None:
        self.tmp.cleanup()
        super().tearDown()

    def serve(self, script: Script, connections: int = 1) -> ScriptedServer:
        return ScriptedServer(self.tmp.path, script, connections)

    # ------------------------------------------------------------------------------------------- descriptors

    def test_a_descriptor_message_with_two_descriptors_is_a_violation_and_both_are_closed(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, _ = read_request(conn)
            conn.sendall(reply(request_id, [(OK, 11), (OK, 11)]))
            send_files(conn, self.files[:2], per_message=2)
            drain(conn)

        with self.serve(script) as server:
            with fdpass.connect(server.path) as client:
                with self.assertRaises(fdpass.ProtocolError) as raised:
                    client.request(["a", "b"])
                self.assertEqual("protocol violation: a descriptor message that did not carry exactly one descriptor",
                                 str(raised.exception))
                self.assertTrue(client.closed)
        self.assertNoDescriptorLeft()

    def test_a_descriptor_message_with_none_is_a_violation(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, _ = read_request(conn)
            conn.sendall(reply(request_id, [(OK, 11), (OK, 11)]))
            send_files(conn, self.files[:1])
            send_descriptors(conn, [])  # a byte, and no descriptor
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            with self.assertRaisesRegex(fdpass.ProtocolError, "did not carry exactly one descriptor"):
                client.request(["a", "b"])
        self.assertNoDescriptorLeft()

    def test_truncated_control_data_is_a_violation_and_what_arrived_is_closed(self) -> None:
        # Three descriptors in one message: the client's room holds two, the kernel says MSG_CTRUNC.
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, _ = read_request(conn)
            conn.sendall(reply(request_id, [(OK, 11)]))
            send_files(conn, self.files[:3], per_message=3)
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            with self.assertRaisesRegex(fdpass.ProtocolError, "did not carry exactly one descriptor"):
                client.request(["a"])
        self.assertNoDescriptorLeft()

    def test_bytes_where_a_descriptor_message_was_due_are_a_violation(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, _ = read_request(conn)
            conn.sendall(reply(request_id, [(OK, 11)]) + reply(request_id, [(OK, 11)]))
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            with self.assertRaises(fdpass.ProtocolError):
                client.request(["a"])
        self.assertNoDescriptorLeft()

    # ----------------------------------------------------------------------------------------------- replies

    def test_a_reply_with_the_wrong_id_is_a_violation_that_fails_every_unanswered_request(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            first, _ = read_request(conn)
            read_request(conn)
            conn.sendall(reply(first + 7, [(OK, 11)]))
            send_files(conn, self.files[:1])
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            client.send(["courses.txt"])
            client.send(["contacts.txt"])
            with self.assertRaises(fdpass.ProtocolError) as first:
                client.receive()
            self.assertEqual("protocol violation: REPLY(id=7, [OK 11]) does not answer the oldest unanswered "
                             "request REQUEST(id=0, names=[courses.txt])", str(first.exception))
            with self.assertRaises(fdpass.ProtocolError) as second:
                client.receive()
            self.assertIs(first.exception, second.exception)
            with self.assertRaises(fdpass.ProtocolError):
                client.request(["x"])
        self.assertNoDescriptorLeft()

    def test_a_reply_with_the_wrong_count_is_a_violation(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, _ = read_request(conn)
            conn.sendall(reply(request_id, [(OK, 11), (NOT_FOUND, 0)]))
            send_files(conn, self.files[:1])
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            with self.assertRaisesRegex(fdpass.ProtocolError, r"REPLY\(id=0, \[OK 11, NOT_FOUND\]\) does not answer "
                                        r"the oldest unanswered request REQUEST\(id=0, names=\[a\]\)"):
                client.request(["a"])
        self.assertNoDescriptorLeft()

    def test_a_reply_whose_count_does_not_fill_its_body_is_a_violation(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, _ = read_request(conn)
            broken = bytearray(reply(request_id, [(NOT_FOUND, 0), (NOT_FOUND, 0)]))
            broken[10] = 1  # count 1, two entries
            conn.sendall(bytes(broken))
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            with self.assertRaisesRegex(fdpass.ProtocolError, r"REPLY count: 1 \(expected: 2 for a body of 24 bytes\)"):
                client.request(["a", "b"])
        self.assertNoDescriptorLeft()

    def test_a_violation_closes_the_replies_read_and_not_returned(self) -> None:
        written = threading.Event()

        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            first, _ = read_request(conn)
            read_request(conn)
            conn.sendall(reply(first, [(OK, 11)]))
            send_files(conn, self.files[:1])
            conn.sendall(reply(first + 77, [(OK, 11)]))
            written.set()
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            client.send(["a"])
            client.send(["b"])
            self.assertTrue(written.wait(PATIENCE))  # both in the socket before the client reads either
            # Waiting for the first reply reads what follows it too: nothing read on this connection is trusted
            # any more, so the first reply's descriptor is closed with the connection.
            with self.assertRaisesRegex(fdpass.ProtocolError, r"REPLY\(id=77, \[OK 11\]\) does not answer"):
                client.receive()
            with self.assertRaises(fdpass.ProtocolError):
                client.receive()
        self.assertNoDescriptorLeft()

    def test_a_reply_that_answers_no_request(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello() + reply(0, [(NOT_FOUND, 0)]))
            drain(conn)

        with self.serve(script) as server:
            with self.assertRaisesRegex(fdpass.ProtocolError, r"protocol violation: REPLY\(id=0, \[NOT_FOUND\]\) "
                                        r"does not answer any request$"):
                fdpass.connect(server.path)
        self.assertNoDescriptorLeft()

    def test_an_unknown_status_is_a_failure_without_a_descriptor(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, _ = read_request(conn)
            conn.sendall(reply(request_id, [(9, 0), (OK, 11)]))
            send_files(conn, self.files[:1])
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            with client.request(["a", "b"]) as answer:
                self.assertEqual(["UNKNOWN(9)", "OK"], [e.status for e in answer])
                self.assertFalse(answer[0].ok)
                self.assertFalse(answer.all_ok)
                with self.assertRaisesRegex(ValueError, "UNKNOWN\\(9\\), no descriptor"):
                    answer[0].fileno()
                self.assertEqual(b"content 0\n", answer[1].read())
        self.assertNoDescriptorLeft()

    def test_a_size_with_a_failed_status_is_a_violation(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, _ = read_request(conn)
            conn.sendall(reply(request_id, [(NOT_FOUND, 5)]))
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            with self.assertRaisesRegex(fdpass.ProtocolError, r"REPLY sizes\[0\]: 5 \(expected: 0 for status 1\)"):
                client.request(["a"])
        self.assertNoDescriptorLeft()

    # ------------------------------------------------------------------------------------------------ ERRORs

    def test_an_error_between_requests_fails_the_next_request_and_keeps_the_answered_one(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            first, _ = read_request(conn)
            read_request(conn)
            conn.sendall(reply(first, [(OK, 11)]))
            send_files(conn, self.files[:1])
            conn.sendall(error(5, b"shutting down"))
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            client.send(["a"])
            client.send(["b"])
            with client.receive() as answered:
                with self.assertRaises(fdpass.ServerError) as raised:
                    client.receive()
                self.assertEqual((5, "SHUTTING_DOWN", "shutting down"),
                                 (raised.exception.code, raised.exception.code_name, raised.exception.message))
                self.assertEqual("server sent ERROR SHUTTING_DOWN: shutting down", str(raised.exception))
                self.assertEqual(b"content 0\n", answered[0].read(), "a reply before the ERROR stands")
            with self.assertRaises(fdpass.ServerError):
                client.request(["c"])
        self.assertNoDescriptorLeft()

    def test_an_error_when_nothing_is_unanswered_fails_the_next_request(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, _ = read_request(conn)
            conn.sendall(reply(request_id, [(NOT_FOUND, 0)]) + error(7, b"idle for 300000 ms with nothing unanswered"))
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            with client.request(["a"]) as answer:
                self.assertEqual("NOT_FOUND", answer[0].status)
            with self.assertRaises(fdpass.ServerError) as raised:
                client.request(["b"])
            self.assertEqual("server closed the connection: idle for 300000 ms with nothing unanswered (TIMED_OUT)",
                             str(raised.exception))
        self.assertNoDescriptorLeft()

    def test_an_unknown_error_code_and_malformed_utf8_in_its_message(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            read_request(conn)
            conn.sendall(error(99, b"bad \xff\xfe end"))
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            with self.assertRaises(fdpass.ServerError) as raised:
                client.request(["a"])
            self.assertEqual((99, "UNKNOWN(99)", "bad ?? end"),
                             (raised.exception.code, raised.exception.code_name, raised.exception.message))
            self.assertEqual("server sent ERROR 99: bad ?? end", str(raised.exception))
        self.assertNoDescriptorLeft()

    def test_an_error_right_behind_hello_fails_the_connect(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello() + error(6, b"uid 1000 has 128 of 128"))
            drain(conn)

        with self.serve(script) as server:
            with self.assertRaises(fdpass.ServerError) as raised:
                fdpass.connect(server.path)
            self.assertEqual("server refused the connection: uid 1000 has 128 of 128 (TOO_MANY_CONNECTIONS)",
                             str(raised.exception))
        self.assertNoDescriptorLeft()

    # ----------------------------------------------------------------------------------------------- closing

    def test_a_close_in_the_middle_of_a_reply_fails_it_and_closes_the_descriptors_received(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, _ = read_request(conn)
            conn.sendall(reply(request_id, [(OK, 11), (OK, 11), (OK, 11)]))
            send_files(conn, self.files[:1])  # one of three, then the end

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            with self.assertRaises(fdpass.ConnectionClosed) as raised:
                client.request(["a", "b", "c"])
            self.assertEqual("connection closed with 1 request(s) unanswered", str(raised.exception))
        self.assertNoDescriptorLeft()

    def test_a_close_in_the_middle_of_a_reply_frame(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            request_id, _ = read_request(conn)
            read_request(conn)
            conn.sendall(reply(request_id, [(NOT_FOUND, 0)])[:9])

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            client.send(["a"])
            client.send(["b"])
            for _ in range(2):
                with self.assertRaisesRegex(fdpass.ConnectionClosed, "with 2 request\\(s\\) unanswered"):
                    client.receive()
        self.assertNoDescriptorLeft()

    def test_a_close_before_hello(self) -> None:
        with self.serve(lambda conn: None) as server:
            with self.assertRaises(fdpass.ConnectionClosed) as raised:
                fdpass.connect(server.path)
            self.assertEqual(f"{server.path}: closed before HELLO (not an fdpass server, or one that could not "
                             "accept it)", str(raised.exception))
        self.assertNoDescriptorLeft()

    # ------------------------------------------------------------------------------------------------- HELLO

    def test_a_hello_with_a_wrong_magic(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello(magic=0x12345678))
            drain(conn)

        with self.serve(script) as server:
            with self.assertRaises(fdpass.ProtocolError) as raised:
                fdpass.connect(server.path)
            self.assertEqual(f"{server.path}: protocol violation: magic: 0x12345678 (expected: 0x46445053 \"FDPS\"); "
                             "the peer is not an fdpass server", str(raised.exception))
        self.assertNoDescriptorLeft()

    def test_a_hello_with_a_version_it_does_not_speak(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello(version=2))
            drain(conn)

        with self.serve(script) as server:
            with self.assertRaisesRegex(fdpass.ProtocolError, r"version: 2 \(expected: 1\)$"):
                fdpass.connect(server.path)
        self.assertNoDescriptorLeft()

    def test_a_hello_with_limits_out_of_range(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello(max_names=65))
            drain(conn)

        with self.serve(script) as server:
            with self.assertRaisesRegex(fdpass.ProtocolError, r"HELLO maxNames: 65 \(expected: 1\.\.64\)$"):
                fdpass.connect(server.path)
        self.assertNoDescriptorLeft()

    def test_a_longer_hello_is_a_v1_hello_with_room_for_later_fields(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello(max_names=2, max_frame_length=8192, max_unanswered=3, extra=b"later fields"))
            request_id, names = read_request(conn)
            conn.sendall(reply(request_id, [(NOT_FOUND, 0)] * len(names)))
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            self.assertEqual(fdpass.Limits(max_names=2, max_frame_length=8192, max_unanswered=3), client.limits)
            with client.request(["a", "b"]) as answer:
                self.assertEqual(["NOT_FOUND", "NOT_FOUND"], [e.status for e in answer])
            with self.assertRaisesRegex(ValueError, r"^names: 3 \(expected: 1\.\.2\)$"):
                client.request(["a", "b", "c"])
            with self.assertRaisesRegex(ValueError, r"^request length: 8198 \(expected: <= 8192\)$"):
                client.request(["x" * 4096, "y" * 4091])
        self.assertNoDescriptorLeft()

    def test_a_peer_that_never_says_hello(self) -> None:
        def script(conn: socket.socket) -> None:
            drain(conn)

        with self.serve(script) as server:
            with self.assertRaises(fdpass.FdPassTimeout) as raised:
                fdpass.connect(server.path, timeout=0.3)
            self.assertEqual(f"{server.path}: no HELLO within 300 ms; not an fdpass v1 server?", str(raised.exception))
            self.assertIsInstance(raised.exception, TimeoutError)
        self.assertNoDescriptorLeft()

    def test_a_peer_that_speaks_something_else(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(b"hello")
            drain(conn)

        with self.serve(script) as server:
            with self.assertRaises(fdpass.ProtocolError) as raised:
                fdpass.connect(server.path)
            self.assertEqual(f"{server.path}: protocol violation: first frame: 0x6f (expected: HELLO); the peer is "
                             "not an fdpass v1 server", str(raised.exception))
        self.assertNoDescriptorLeft()

    def test_a_second_hello(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            read_request(conn)
            conn.sendall(hello())
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            with self.assertRaisesRegex(fdpass.ProtocolError, "a second HELLO"):
                client.request(["a"])
        self.assertNoDescriptorLeft()

    # ------------------------------------------------------------------------------------------------ timing

    def test_a_request_that_times_out_is_abandoned_and_its_descriptors_closed_when_they_come(self) -> None:
        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            first, _ = read_request(conn)
            second, _ = read_request(conn)  # the client gave up on the first, and asked again
            conn.sendall(reply(first, [(OK, 11), (OK, 11)]))
            send_files(conn, self.files[:2])
            conn.sendall(reply(second, [(OK, 11)]))
            send_files(conn, self.files[2:3])
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path) as client:
            with self.assertRaises(fdpass.FdPassTimeout) as raised:
                client.request(["a", "b"], timeout=0.2)
            self.assertEqual("no reply within 200 ms", str(raised.exception))
            with client.request(["c"]) as answer:
                self.assertEqual(b"content 2\n", answer[0].read())
        self.assertNoDescriptorLeft()

    def test_sending_to_a_server_that_does_not_read_times_out(self) -> None:
        gave_up = threading.Event()

        def script(conn: socket.socket) -> None:
            conn.sendall(hello())
            gave_up.wait(PATIENCE)  # reads nothing until the client has given up
            drain(conn)

        with self.serve(script) as server, fdpass.connect(server.path, timeout=0.5) as client:
            names = [f"{i:02d}" + "n" * 1000 for i in range(64)]
            try:
                with self.assertRaisesRegex(fdpass.FdPassTimeout, "could not send a request within 500 ms"):
                    for _ in range(32):
                        client.send(names)
            finally:
                gave_up.set()
            self.assertTrue(client.closed)
        self.assertNoDescriptorLeft()

