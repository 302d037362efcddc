"""A real threaded HTTP server on 127.0.0.1 for download tests: Range support and switchable faults.

Usage::

    server = FaultyHTTPServer().start()
    server.add_file("mirror/a.gz", data)
    server.set_fault("mirror/a.gz", "reset", after=100, times=1)   # 404 | 500 | reset | slow
    url = server.url("mirror/a.gz")
    ...
    server.stop()

Every request is logged in ``server.requests`` as ``(path, headers dict)`` so tests can check that a
Range request happened. Faults apply to the next ``times`` requests of a path (None: all of them).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Tuple

FAULT_KINDS = ("404", "500", "reset", "slow")


@dataclass
class Fault:
    """``kind`` in FAULT_KINDS; ``after``: bytes sent before a reset; ``delay``: seconds per chunk if slow."""

    kind: str
    times: int | None = None
    after: int = 0
    delay: float = 0.0


class FaultyHTTPServer:
    """Serves in-memory files over HTTP/1.1 on an ephemeral port of 127.0.0.1."""

    def __init__(self, chunk_size: int = 4096) -> None:
        self.files: Dict[str, bytes] = {}
        self.faults: Dict[str, Fault] = {}
        self.requests: List[Tuple[str, Dict[str, str]]] = []
        self.chunk_size = chunk_size
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FaultyHTTPServer:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def add_file(self, path: str, data: bytes) -> str:
        """Serve ``data`` at ``/path``; returns its URL."""
        self.files[path.lstrip("/")] = data
        return self.url(path)

    def set_fault(self, path: str, kind: str, times: int | None = None, after: int = 0,
                  delay: float = 0.0) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {FAULT_KINDS}")
        self.faults[path.lstrip("/")] = Fault(kind, times, after, delay)

    def clear_faults(self) -> None:
        self.faults.clear()

    def requests_for(self, path: str) -> List[Dict[str, str]]:
        """Headers of every request made for ``path``."""
        path = path.lstrip("/")
        return [headers for p, headers in self.requests if p == path]

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            fault = self.faults.get(path)
            if fault is None:
                return None
            if fault.times is not None:
                if fault.times <= 0:
                    return None
                fault.times -= 1
            return fault

    def __enter__(self) -> FaultyHTTPServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _make_handler(server: FaultyHTTPServer) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].lstrip("/")
            with server._lock:
                server.requests.append((path, dict(self.headers.items())))
            fault = server._take_fault(path)
            if fault is not None and fault.kind in ("404", "500"):
                self._send_status(int(fault.kind))
                return
            data = server.files.get(path)
            if data is None:
                self._send_status(404)
                return
            start = _range_start(self.headers.get("Range"))
            if start is not None and start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = data if start is None else data[start:]
            self.send_response(200 if start is None else 206)
            if start is not None:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if fault is not None and fault.kind == "reset":
                self.wfile.write(body[: fault.after])
                self.wfile.flush()
                # Let the client read what was sent: an RST discards data still unread in its socket buffer.
                time.sleep(0.2)
                self._reset_connection()
                return
            for offset in range(0, len(body), server.chunk_size):
                if fault is not None and fault.kind == "slow":
                    time.sleep(fault.delay)
                try:
                    self.wfile.write(body[offset: offset + server.chunk_size])
                except (BrokenPipeError, ConnectionResetError):
                    return

        def _send_status(self, code: int) -> None:
            body = f"error {code}".encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _reset_connection(self) -> None:
            # SO_LINGER with timeout 0 makes close() send RST: the client sees a connection reset mid-body.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

    return Handler


def _range_start(value: str | None) -> int | None:
    # Only the open-ended form "bytes=N-" is needed by the downloader under test.
    if not value or not value.startswith("bytes="):
        return None
    first = value[len("bytes="):].split(",")[0].split("-")[0]
    return int(first) if first.isdigit() else None
