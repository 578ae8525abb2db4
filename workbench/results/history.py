"""The run history: every run, prediction and step of a path, in SQLite beside the models.

`<models folder>/history.sqlite` (standard-library `sqlite3`, WAL mode, so the app and a
CLI run can write at the same time: each write is one short transaction, and a writer
waits up to `BUSY_TIMEOUT_S` for the other). The schema's version is SQLite's
`user_version`; `MIGRATIONS` takes any older file forward, one step at a time.

The history must never cost a learner a run: a file that cannot be opened, is corrupt,
or was written by a newer workbench turns into `Unavailable`, which records nothing and
says why once (`warning`); the run runs and its model is saved as always.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from workbench.errors import BadInput

FILE_NAME = "history.sqlite"
BUSY_TIMEOUT_S = 10.0
OUTCOMES = ("running", "done", "failed", "cancelled")

# Each entry takes the schema from version i to i + 1; append, never edit.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        lesson TEXT NOT NULL,
        step INTEGER,
        params TEXT NOT NULL,
        dataset TEXT,
        seed INTEGER,
        device TEXT,
        precision TEXT,
        started TEXT NOT NULL,
        finished TEXT,
        outcome TEXT NOT NULL DEFAULT 'running',
        message TEXT,
        metrics TEXT NOT NULL DEFAULT '{}',
        history TEXT NOT NULL DEFAULT '[]',
        model_path TEXT,
        claims TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX runs_by_lesson ON runs (lesson, step, id);
    CREATE TABLE answers (
        lesson TEXT NOT NULL, step INTEGER NOT NULL, answer INTEGER NOT NULL, answered TEXT NOT NULL,
        PRIMARY KEY (lesson, step)
    );
    CREATE TABLE steps_done (
        lesson TEXT NOT NULL, step INTEGER NOT NULL, done TEXT NOT NULL,
        PRIMARY KEY (lesson, step)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunRecord:
    id: int
    lesson: str
    step: int | None
    params: dict[str, Any]
    dataset: str | None
    seed: int | None
    device: str | None
    precision: str | None
    started: str
    finished: str | None
    outcome: str
    message: str | None
    metrics: dict[str, Any]
    history: list[dict[str, Any]]  # per epoch: {"series": "", "epoch": 1, "loss": ...}
    model_path: str | None
    claims: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def curves(self) -> dict[str, dict[str, list[float]]]:
        """Per series ("" for a single network): each logged key's values by epoch."""
        found: dict[str, dict[str, list[float]]] = {}
        for row in self.history:
            keys = found.setdefault(row.get("series", ""), {})
            for key, v in row.items():
                if key not in ("series", "epoch") and isinstance(v, (int, float)):
                    keys.setdefault(key, []).append(float(v))
        return found


def curves(runs: Sequence[RunRecord], key: str) -> dict[str, tuple[list[float], list[float]]]:
    """label -> (epochs, values) of `key`, for each run (and each network it trained): the
    curves `workbench runs compare` and the Runs screen overlay."""
    lines = {}
    for run in runs:
        for series, keys in run.curves().items():
            if key in keys:
                label = f"#{run.id}" + (f" {series}" if series else "") + f" {key}"
                lines[label] = (list(range(1, len(keys[key]) + 1)), keys[key])
    return lines


@dataclass
class Marks:
    """A lesson's path as the learner left it: steps marked done, predictions answered."""

    done: set[int] = field(default_factory=set)
    answers: dict[int, int] = field(default_factory=dict)


class HistoryError(BadInput):
    """The history file cannot be used; the message says why, in one line (for a command
    that reads the history, exit 2; for a run, a warning)."""


def _json(obj: Any) -> str:
    return json.dumps(obj, default=lambda o: o.item() if hasattr(o, "item") else str(o))


class History:
    """The history file of one models folder. Connections are opened per operation, so
    an instance is safe to share between the app's threads. The file is made by the
    first write: looking (the app's first screen, `workbench runs`) creates nothing."""

    def __init__(self, path: Path):
        self.path = path
        self._migrated = False
        if path.exists():  # a corrupt or newer file is found now, before any run starts
            self._ensure()

    def _ensure(self) -> None:
        if not self._migrated:
            with self._connect() as db:
                self._migrate(db)
            self._migrated = True

    # Every read and write goes through these two (`Unavailable` answers them instead).
    def _read(self, query: str, args: Sequence = ()) -> list[sqlite3.Row]:
        if not self.path.exists():
            return []
        self._ensure()
        with self._connect() as db:
            return db.execute(query, args).fetchall()

    def _write(self, query: str, args: Sequence = ()) -> int | None:
        """One statement in a transaction of its own; the id of the row it inserted."""
        self._ensure()
        with self._connect() as db:
            return db.execute(query, args).lastrowid

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"cannot open {self.path}: {exc}") from None
        try:
            db.row_factory = sqlite3.Row
            with db:  # one transaction: committed on success, rolled back on error
                yield db
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{self.path} is not a usable run history ({exc})") from None
        finally:
            db.close()

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(f"{self.path} was written by a newer workbench (schema {version}, "
                               f"this one reads up to {SCHEMA_VERSION})")
        if version == SCHEMA_VERSION:
            return
        try:
            db.execute("PRAGMA journal_mode=WAL")  # kept by the file from then on
        except sqlite3.OperationalError:
            pass  # another process holds the file this moment, setting it up: it sets WAL
        # Two runs starting on a new folder at once: one migrates, the other waits for its
        # write lock (the busy timeout), then finds the schema already there.
        db.execute("BEGIN IMMEDIATE")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in filter(str.strip, script.split(";")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {target}")

    # -- runs -------------------------------------------------------------------------
    def begin(self, lesson: str, params: Mapping[str, Any], *, step: int | None = None,
              dataset: str | None = None, seed: int | None = None, device: str | None = None,
              precision: str | None = None) -> int | None:
        """The new run's id (None from `Unavailable`)."""
        return self._write(
            "INSERT INTO runs (lesson, step, params, dataset, seed, device, precision, started)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (lesson, step, _json(dict(params)), dataset, seed, device, precision, now()))

    def finish(self, run_id: int, outcome: str, *, message: str | None = None,
               metrics: Mapping[str, Any] | None = None, history: Sequence[Mapping] = (),
               model_path: str | None = None, claims: Sequence[Mapping] = ()) -> None:
        if outcome not in OUTCOMES[1:]:
            raise ValueError(f"outcome must be one of {OUTCOMES[1:]}, got {outcome!r}")
        self._write("UPDATE runs SET finished = ?, outcome = ?, message = ?, metrics = ?, "
                    "history = ?, model_path = ?, claims = ? WHERE id = ?",
                    (now(), outcome, message, _json(dict(metrics or {})), _json(list(history)),
                     model_path, _json(list(claims)), run_id))

    def runs(self, lesson: str | None = None, limit: int | None = None) -> list[RunRecord]:
        """Newest first."""
        query, args = "SELECT * FROM runs", []
        if lesson is not None:
            query, args = query + " WHERE lesson = ?", [lesson]
        query += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return [_record(row) for row in self._read(query, args)]

    def get(self, run_id: int) -> RunRecord | None:
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        return _record(rows[0]) if rows else None

    def latest_by_step(self, lesson: str) -> dict[int, RunRecord]:
        """Each path step's latest finished run (outcome done)."""
        rows = self._read("SELECT * FROM runs WHERE lesson = ? AND step IS NOT NULL AND "
                          "outcome = 'done' ORDER BY id", (lesson,))
        return {row["step"]: _record(row) for row in rows}

    # -- the path ---------------------------------------------------------------------
    def mark_done(self, lesson: str, step: int) -> None:
        self._write("INSERT OR IGNORE INTO steps_done VALUES (?, ?, ?)", (lesson, step, now()))

    def answer(self, lesson: str, step: int, answer: int) -> None:
        self._write("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)", (lesson, step, answer, now()))

    def marks(self, lesson: str) -> Marks:
        done = {r[0] for r in self._read("SELECT step FROM steps_done WHERE lesson = ?", (lesson,))}
        answers = {r[0]: r[1] for r in self._read("SELECT step, answer FROM answers WHERE lesson = ?",
                                                  (lesson,))}
        return Marks(done, answers)


def _record(row: sqlite3.Row) -> RunRecord:
    loads = lambda text, empty: json.loads(text) if text else empty  # noqa: E731
    return RunRecord(row["id"], row["lesson"], row["step"], loads(row["params"], {}), row["dataset"],
                     row["seed"], row["device"], row["precision"], row["started"], row["finished"],
                     row["outcome"], row["message"], loads(row["metrics"], {}),
                     loads(row["history"], []), row["model_path"], loads(row["claims"], []))


class Unavailable(History):
    """Stands in for a history that cannot be used (`reason` says why): a `History` whose
    every read finds nothing and whose every write goes nowhere, so each of its methods,
    present and future, answers as it would for an empty file: no runs, no marks, no id."""

    def __init__(self, reason: str):
        self.path, self.reason = None, reason

    def _read(self, query: str, args: Sequence = ()) -> list[sqlite3.Row]:
        return []

    def _write(self, query: str, args: Sequence = ()) -> None:
        return None


class Guarded:
    """A history whose failure costs one warning (`warn(reason)`) and nothing else: at the
    first error it becomes `Unavailable`, and the call is answered as that would."""

    def __init__(self, history: History | Unavailable, warn: Callable[[str], None]):
        self._history, self._warn = history, warn
        if isinstance(history, Unavailable) and history.reason:
            warn(history.reason)

    def __getattr__(self, name: str):
        method = getattr(self._history, name)
        if not callable(method):
            return method

        def guarded(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except HistoryError as exc:
                self._history = Unavailable(str(exc))
                self._warn(str(exc))
                return getattr(self._history, name)(*args, **kwargs)

        return guarded


def open_history(models_dir: str | Path | None = None) -> History | Unavailable:
    """The history of the models folder (made on first use), or `Unavailable` with why."""
    from workbench.results import store

    try:
        return History(store.models_dir(models_dir) / FILE_NAME)
    except HistoryError as exc:
        return Unavailable(str(exc))


def strict(models_dir: str | Path | None = None) -> History:
    """The history for commands that read it (`workbench runs`): HistoryError (exit 2)
    when unusable."""
    found = open_history(models_dir)
    if isinstance(found, Unavailable):
        raise HistoryError(found.reason)
    return found
