"""SQLite storage for responses and the events of background responses.

One file, ``responses.sqlite3`` under the data dir. A response row keeps its wire object and the
conversation items it was generated from (so ``previous_response_id`` can continue it); an event
row keeps one stream event by its sequence number, so a stream can be resumed from any point,
also after a restart.
"""

from __future__ import annotations

import json
import pathlib
import sqlite3
import threading
import time
from typing import Any

__all__ = ["TERMINAL", "Store"]

TERMINAL = frozenset({"completed", "failed", "cancelled", "incomplete"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    items TEXT NOT NULL,
    background INTEGER NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    response_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (response_id, seq)
);
"""


class Store:
    """Thread-safe access to the server's SQLite file (one connection, one lock)."""

    def __init__(self, path: pathlib.Path | str) -> None:
        self.path = pathlib.Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def put(self, body: dict[str, Any], *, items: list[Any], background: bool) -> None:
        """Insert or replace a response and the conversation items behind it."""
        row = (body["id"], json.dumps(body), json.dumps(items), int(background), time.time())
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?)", row)

    def update(self, body: dict[str, Any]) -> None:
        """Replace the wire object of a stored response (no-op if it is not stored)."""
        with self._lock:
            self._db.execute(
                "UPDATE responses SET body = ?, updated_at = ? WHERE id = ?",
                (json.dumps(body), time.time(), body["id"]),
            )

    def get(self, response_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM responses WHERE id = ?", (response_id,)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def items(self, response_id: str) -> list[Any] | None:
        """The conversation items the response was generated from (input, not output)."""
        with self._lock:
            row = self._db.execute(
                "SELECT items FROM responses WHERE id = ?", (response_id,)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def delete(self, response_id: str) -> bool:
        with self._lock:
            gone = self._db.execute("DELETE FROM responses WHERE id = ?", (response_id,)).rowcount
            self._db.execute("DELETE FROM events WHERE response_id = ?", (response_id,))
        return bool(gone)

    def add_event(self, response_id: str, event: dict[str, Any]) -> None:
        row = (response_id, event["sequence_number"], json.dumps(event))
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO events VALUES (?, ?, ?)", row)

    def events_after(self, response_id: str, after: int) -> list[dict[str, Any]]:
        """Stored events with a sequence number above ``after``, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM events WHERE response_id = ? AND seq > ? ORDER BY seq",
                (response_id, after),
            ).fetchall()
        return [json.loads(body) for (body,) in rows]

    def has_events(self, response_id: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM events WHERE response_id = ? LIMIT 1", (response_id,)
            ).fetchone()
        return row is not None

    def fail_unfinished(self, message: str) -> int:
        """Mark responses left queued or in progress by a previous server process as failed.

        Their stored event streams get a closing ``response.failed`` event, so a client that
        resumes one sees it end instead of waiting forever. Returns how many were closed.
        """
        with self._lock:
            rows = self._db.execute("SELECT id, body FROM responses").fetchall()
        closed = 0
        for response_id, raw in rows:
            body = json.loads(raw)
            if body.get("status") in TERMINAL:
                continue
            body["status"] = "failed"
            body["error"] = {"code": "server_error", "message": message}
            self.update(body)
            last = self._last_seq(response_id)
            if last is not None:
                event = {"type": "response.failed", "sequence_number": last + 1, "response": body}
                self.add_event(response_id, event)
            closed += 1
        return closed

    def _last_seq(self, response_id: str) -> int | None:
        with self._lock:
            row = self._db.execute(
                "SELECT MAX(seq) FROM events WHERE response_id = ?", (response_id,)
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])
