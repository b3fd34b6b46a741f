"""A loopback stand-in for the one Vultr API call the program makes itself: ``GET /v2/snapshots/{id}`` with a
bearer key, answered as vultr/govultr snapshot.go reads it (``{"snapshot": {"id", "status", ...}}``); a snapshot
from URL is "pending" while Vultr imports it and "complete" after (terraform-provider-vultr waitForSnapshot)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeVultrAPI:
    """Snapshots whose status moves on by one step per status request; start/stop as a context manager."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.statuses: dict[str, list[str]] = {}  # snapshot id → statuses still to answer, the last one stays
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def importing(self, snapshot_id: str, pending_polls: int = 1) -> None:
        with self._lock:
            self.statuses[snapshot_id] = ["pending"] * pending_polls + ["complete"]

    def _status(self, snapshot_id: str) -> str | None:
        with self._lock:
            queue = self.statuses.get(snapshot_id)
            if not queue:
                return None
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api.requests.append(self.path)
                if self.headers.get("Authorization") != f"Bearer {api.api_key}":
                    return self._reply(401, {"error": "Invalid API token.", "status": 401})
                snapshot_id = self.path.removeprefix("/v2/snapshots/")
                status = api._status(snapshot_id) if self.path.startswith("/v2/snapshots/") else None
                if status is None:
                    return self._reply(404, {"error": "Invalid snapshot ID.", "status": 404})
                return self._reply(200, {"snapshot": {"id": snapshot_id, "status": status, "size": 0}})

            def _reply(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:  # quiet in test output
                pass

        return Handler

    def __enter__(self) -> FakeVultrAPI:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
