"""Local alert receivers for tests: a minimal SMTP server and an HTTP webhook, both stdlib only.

Each runs in a thread on 127.0.0.1 with a free port and records what it received. The SMTP
side speaks just enough of RFC 5321 (no TLS, no AUTH) for smtplib; it works on Python 3.11
and 3.12 (the stdlib `smtpd` module is gone in 3.12).
"""

from __future__ import annotations

import email
import email.policy
import json
import socketserver
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _SmtpHandler(socketserver.StreamRequestHandler):
    def _reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def _read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)

    def handle(self) -> None:
        self._reply("220 localhost test SMTP receiver")
        envelope: dict = {"rcpt": []}
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250 localhost")
            elif verb == "MAIL":
                envelope = {"from": line.decode().strip(), "rcpt": []}
                self._reply("250 OK")
            elif verb == "RCPT":
                envelope["rcpt"].append(line.decode().strip())
                self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 end data with <CR><LF>.<CR><LF>")
                message = email.message_from_bytes(self._read_data(), policy=email.policy.default)
                self.server.received.append((envelope, message))  # type: ignore[attr-defined]
                self._reply("250 OK")
            elif verb in ("RSET", "NOOP"):
                self._reply("250 OK")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpReceiver:
    """`with SmtpReceiver() as smtp:` ... `smtp.port`, `smtp.messages`."""

    def __enter__(self) -> SmtpReceiver:
        self._server = _Server(("127.0.0.1", 0), _SmtpHandler)
        self._server.received = []  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def messages(self) -> list[tuple[dict, EmailMessage]]:
        """(envelope, parsed message) for every e-mail received so far."""
        return list(self._server.received)  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _WebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(  # type: ignore[attr-defined]
            {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
        )
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


class WebhookReceiver:
    """`with WebhookReceiver() as hook:` ... `hook.port`, `hook.requests`."""

    def __enter__(self) -> WebhookReceiver:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _WebhookHandler)
        self._server.received = []  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def requests(self) -> list[dict]:
        """Path, headers and JSON body of every POST received so far."""
        return list(self._server.received)  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
