"""Protocol v1's bytes (PROTOCOL.md's examples) and the CLI's escapes, without a socket."""

from __future__ import annotations

import unittest

from fdpass import _cli, _wire


def hex_bytes(text: str) -> bytes:
    return bytes.fromhex(" ".join(text.split()))


class WireTest(unittest.TestCase):
    def test_the_protocols_examples(self) -> None:
        hello = hex_bytes("00 00 00 0f  04  46 44 50 53  00 01  00 40  00 01 00 00  00 20")
        self.assertEqual((_wire.TYPE_HELLO, 14), _wire.decode_header(hello[:5], hello_seen=False))
        self.assertEqual(_wire.Limits(64, 65536, 32), _wire.decode_hello(hello[5:]))

        request = hex_bytes("""00 00 00 21  01  00 00 00 07  00 02
                               00 0b 63 6f 75 72 73 65 73 2e 74 78 74
                               00 0b 6d 69 73 73 69 6e 67 2e 74 78 74""")
        self.assertEqual(request, _wire.encode_request(7, [b"courses.txt", b"missing.txt"]))

        reply = hex_bytes("""00 00 00 19  02  00 00 00 07  00 02
                             00  00 00 00 00 00 00 00 10
                             01  00 00 00 00 00 00 00 00""")
        self.assertEqual(29, _wire.reply_frame_length(2))
        self.assertEqual((_wire.TYPE_REPLY, 24), _wire.decode_header(reply[:5], hello_seen=True))
        decoded = _wire.decode_reply(reply[5:])
        self.assertEqual(_wire.ReplyFrame(7, (0, 1), (16, 0), 1), decoded)
        self.assertEqual("REPLY(id=7, [OK 16, NOT_FOUND])", str(decoded))

        err = hex_bytes("00 00 00 08  03  00 01  00 03  62 61 64")
        self.assertEqual((_wire.TYPE_ERROR, 7), _wire.decode_header(err[:5], hello_seen=True))
        self.assertEqual((1, "bad"), _wire.decode_error(err[5:]))

    def test_frames_judged_as_the_java_client_judges_them(self) -> None:
        cases = [
            (b"\x00\x00\x00\x0f\x02", False, "first frame: REPLY (expected: HELLO); the peer is not an fdpass v1 server"),
            (b"\x00\x00\x00\x00\x03", True, "length: 0 (expected: 1..8192)"),
            (b"\x00\x00\x20\x01\x03", True, "length: 8193 (expected: 1..8192)"),
            (b"\x00\x00\x00\x08\x01", True, "type: REQUEST (expected: REPLY or ERROR)"),
            (b"\x00\x00\x00\x08\x09", True, "type: 0x9 (expected: REPLY or ERROR)"),
            (b"\x00\x00\x00\x08\x04", False, "HELLO body: 7 bytes (expected: >= 14)"),
            (b"\x00\x00\x00\x07\x02", True, "REPLY body: 6 bytes (expected: >= 15)"),
            (b"\x00\x00\x00\x04\x03", True, "ERROR body: 3 bytes (expected: >= 4)"),
        ]
        for header, hello_seen, message in cases:
            with self.subTest(message=message):
                with self.assertRaises(_wire.WireError) as raised:
                    _wire.decode_header(header, hello_seen)
                self.assertEqual(message, str(raised.exception))
        with self.assertRaisesRegex(_wire.WireError, r"^ERROR msgLength: 5 \(expected: 3, <= 1024\)$"):
            _wire.decode_error(b"\x00\x01\x00\x05bad")
        with self.assertRaisesRegex(_wire.WireError, r"^REPLY sizes\[0\]: -1 \(expected: >= 0\)$"):
            _wire.decode_reply(b"\x00\x00\x00\x01\x00\x01" + b"\x00" + b"\xff" * 8)

    def test_request_limits(self) -> None:
        limits = _wire.Limits(2, 8192, 1)
        _wire.check_request([b"a", b"b"], limits)
        with self.assertRaisesRegex(ValueError, r"^names: 3 \(expected: 1\.\.2\)$"):
            _wire.check_request([b"a"] * 3, limits)
        with self.assertRaisesRegex(ValueError, r"^nameLength: 65536 \(expected: 0\.\.65535\)$"):
            _wire.check_request([b"a" * 65536], _wire.Limits(2, 65536, 1))
        self.assertEqual(7 + 2 + 8183, _wire.request_frame_length([b"x" * 8183]))
        with self.assertRaisesRegex(ValueError, r"^request length: 8193 \(expected: <= 8192\)$"):
            _wire.check_request([b"x" * 8184], limits)

    def test_names(self) -> None:
        self.assertEqual("café/ünïcödé.txt".encode(), _wire.check_name("café/ünïcödé.txt"))
        self.assertEqual(b"..a/b..c/...", _wire.check_name("..a/b..c/..."))
        with self.assertRaisesRegex(ValueError, r"too long: 4097 bytes \(expected: at most 4096\)$"):
            _wire.check_name("é" * 2048 + "x")
        with self.assertRaisesRegex(ValueError, r"^name '\.\./a\\x00': a '\.\.' component$"):
            _wire.check_name("../a\0")  # the first thing wrong, from the left

    def test_name_problems_in_bytes(self) -> None:
        # What the CLI says of a name the server answered INVALID_NAME: any bytes, strict UTF-8 judged too.
        for name, problem in [
            (b"caf\xc3\xa9/x", None),
            (b"\xc3", "not strict UTF-8 (RFC 3629): it ends inside a character"),
            (b"a\xc0\x80", "not strict UTF-8 (RFC 3629) at byte offset 1"),
            (b"\xe0\x80\x80", "not strict UTF-8 (RFC 3629) at byte offset 1"),
            (b"\xed\xa0\x80", "not strict UTF-8 (RFC 3629) at byte offset 1"),
            (b"\xf4\x90\x80\x80", "not strict UTF-8 (RFC 3629) at byte offset 1"),
            (b"\xf5", "not strict UTF-8 (RFC 3629) at byte offset 0"),
            (b"/", "absolute: it begins with '/' (names are relative to the server's root)"),
            (b"a/b/", "an empty component: it ends with '/'"),
        ]:
            with self.subTest(name=name):
                self.assertEqual(problem, _wire.name_problem(name))

    def test_status_and_error_names(self) -> None:
        self.assertEqual("LIMIT_EXCEEDED", _wire.status_name(6))
        self.assertEqual("UNKNOWN(7)", _wire.status_name(7))
        self.assertEqual("TIMED_OUT", _wire.error_name(7))
        self.assertIsNone(_wire.error_name(0))


class CliEscapesTest(unittest.TestCase):
    def test_bytes(self) -> None:
        self.assertEqual("tab\\there\\x01\\x7f\\xff\\xc3\\xa9 a\\\\b\\r\\n",
                         _cli.escape_bytes(b"tab\there\x01\x7f\xff\xc3\xa9 a\\b\r\n"))

    def test_names(self) -> None:
        self.assertEqual("new\\nline\\ttab\\\\x", _cli.escape_text("new\nline\ttab\\x"))
        self.assertEqual("\\x01\\x7f\\x85\\x2028\\x2029é😀", _cli.escape_text("\x01\x7f\x85\u2028\u2029é😀"))

    def test_long_names_are_cut_as_the_java_client_cuts_them(self) -> None:
        self.assertEqual("x" * 80, _cli.display_name("x" * 80))
        self.assertEqual("x" * 80 + "... (81 bytes)", _cli.display_name("x" * 81))
        self.assertEqual("é" * 80 + "... (200 bytes)", _cli.display_name("é" * 100))
        # 79 characters, then one that takes two UTF-16 units: Java cuts between them, and prints the half as '?'.
        self.assertEqual("a" * 79 + "?... (84 bytes)", _cli.display_name("a" * 79 + "😀x"))
        self.assertEqual("a" * 78 + "😀... (84 bytes)", _cli.display_name("a" * 78 + "😀xy"))
        self.assertEqual("\\n" * 40 + "... (41 bytes)", _cli.display_name("\n" * 41))

    def test_paths_as_java_prints_them(self) -> None:
        self.assertEqual("/tmp/a/s.sock", _cli.java_path("/tmp//a/s.sock/"))
        self.assertEqual("/", _cli.java_path("//"))
        self.assertEqual("", _cli.java_path(""))
