"""The run history: every run, prediction and step of a path, in SQLite beside the models.

`<models folder>/history.sqlite` (standard-library `sqlite3`, WAL mode, so the app and a
CLI run can write at the same time: each write is one short transaction, and a writer
waits up to `BUSY_TIMEOUT_S` for the other). The schema's version is SQLite's
`user_version`; `MIGRATIONS` takes any older file forward, one step at a time.

The history must never cost a learner a run: a file that cannot be opened, is corrupt,
or was written by a newer workbench turns into `Unavailable`, which records nothing and
says why once (`warning`, in words that tell a lock or a full disk from a broken file);
the run runs and its model is saved as always.

What can go wrong, and what the history does then:
- A run's process ends without an outcome (killed, the machine stopped): each run keeps
  its process (host, pid, and on Linux the boot and the process's start, so a reused
  pid is not taken for it); a `running` run whose process is gone reads `interrupted`,
  and the next write says so in the file.
- The final outcome meets a lock held longer than `BUSY_TIMEOUT_S` by another process:
  it is kept in `history.sqlite-pending/<run id>.json`, read as the run's outcome from
  then on, and written into the file by the next write that gets the lock.
- One row that cannot be read (JSON that is not JSON, a list where the parameters
  belong): that run is left out, named once in `unreadable`; every other run still reads.
- A history that cannot be written (a read-only file or folder) is still read: readers
  open it read-only, and as immutable where SQLite cannot make its shared-memory index.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import socket
import sqlite3
import sys
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from workbench.errors import BadInput
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN

FILE_NAME = "history.sqlite"
# Finished runs whose outcome met a long lock wait here, one JSON file a run.
PENDING_DIR = FILE_NAME + "-pending"
BUSY_TIMEOUT_S = 10.0
OUTCOMES = ("running", "done", "failed", "cancelled", "interrupted")
ENDINGS = ("done", "failed", "cancelled")  # what a run's own process writes at its end

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
    # The process that runs each run, to tell a run that goes on from one whose process
    # is gone. Runs left `running` by schema 1 cannot be told apart and are taken as
    # over (a workbench that reads only schema 1 refuses this file from now on; one
    # already under way still writes its outcome over this).
    """
    ALTER TABLE runs ADD COLUMN host TEXT;
    ALTER TABLE runs ADD COLUMN pid INTEGER;
    ALTER TABLE runs ADD COLUMN process TEXT;
    UPDATE runs SET outcome = 'interrupted' WHERE outcome = 'running'
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


class Said(str):
    """A message in English (the string itself) that can also be read in the learner's
    language: the history's reasons are shown by the CLI (English) and by the app."""

    def __new__(cls, words: Callable[[str], str]) -> "Said":
        said = super().__new__(cls, words(EN))
        said._words = words
        return said

    def in_language(self, lang: str) -> str:
        return self._words(lang)


def in_language(reason: str, lang: str) -> str:
    """A reason from the history (a `Said`, or plain English) in `lang`."""
    return reason.in_language(lang) if isinstance(reason, Said) else str(reason)


class HistoryError(BadInput):
    """The history file cannot be used; the message says why, in one line (for a command
    that reads the history, exit 2; for a run, a warning). `kind` is what happened:
    "locked", "full", "read-only", "newer" or "unusable" (anything else)."""

    def __init__(self, reason: str, kind: str = "unusable"):
        super().__init__(reason)
        self.reason, self.kind = reason, kind


class UnreadableRun(BadInput):
    """`runs show ID` of a run whose row cannot be read; the message names it and why."""


def _json(obj: Any) -> str:
    return json.dumps(obj, default=lambda o: o.item() if hasattr(o, "item") else str(o))


# -- the process a run runs in ----------------------------------------------------------

def _linux_start(pid: int) -> str | None:
    """This boot and the process's start (clock ticks after boot): with the pid, one
    process for as long as the machine keeps its logs. None where /proc says nothing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()  # after the command's name (it may hold spaces)
        if fields[0] in ("Z", "X"):  # ended, waiting for its parent to read its status
            return None
        return f"{_boot_id()}:{fields[19]}"
    except (OSError, ValueError, IndexError):
        return None


@lru_cache(maxsize=None)
def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def this_process() -> dict[str, Any]:
    """Who runs a run: `host`, `pid` and (on Linux) `process`, its start."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid,
            "process": _linux_start(pid) if sys.platform.startswith("linux") else None}


def process_gone(host: str | None, pid: int | None, process: str | None) -> bool:
    """Whether the process that ran a run has ended. Only a process of this machine can
    be looked at; any other (a models folder shared over the network) is taken as alive."""
    if pid is None or host != socket.gethostname():
        return False
    if sys.platform.startswith("linux") and Path("/proc/self/stat").exists():
        return _linux_start(pid) != process if process else not Path(f"/proc/{pid}").exists()
    if os.name != "posix":  # Windows: os.kill would end the process; say nothing
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # there, but not ours to signal
    return False


# -- the file ---------------------------------------------------------------------------

_FINISH_COLUMNS = ("finished", "outcome", "message", "metrics", "history", "model_path", "claims")


class History:
    """The history file of one models folder. Connections are opened per operation, so
    an instance is safe to share between the app's threads. The file is made by the
    first write: looking (the app's first screen, `workbench runs`) creates nothing and
    writes nothing, and works where the file or its folder is read-only."""

    def __init__(self, path: Path):
        self.path = path
        self._migrated = False
        # Rows the reads so far had to leave out: run id -> why (a `Said`).
        self.unreadable: dict[int, str] = {}
        if path.exists():  # a corrupt or newer file is found now, before any run starts
            self._version()

    @property
    def pending_dir(self) -> Path:
        return self.path.with_name(PENDING_DIR)

    def _ensure(self) -> None:
        if not self._migrated:
            with self._connect(write=True) as db:
                self._migrate(db)
            self._migrated = True

    def _version(self) -> int:
        with self._connect(write=False) as db:
            return self._checked_version(db)

    def _checked_version(self, db: sqlite3.Connection) -> int:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            path = self.path
            raise HistoryError(Said(lambda lang: tr(
                lang, "{path} was written by a newer workbench (schema {version}, this one reads "
                "up to {known})", path=path, version=version, known=SCHEMA_VERSION)), "newer")
        return version

    # Every read and write goes through these two (`Unavailable` answers them instead).
    def _read(self, query: str, args: Sequence = ()) -> list[sqlite3.Row]:
        """Read-only: a reader never migrates, locks or creates anything; a file from an
        older workbench is read as it is (`_record` takes the columns it has)."""
        if not self.path.exists():
            return []
        with self._connect(write=False) as db:
            if self._checked_version(db) == 0:  # made, never written (the disk was full)
                return []
            return db.execute(query, args).fetchall()

    def _write(self, query: str, args: Sequence = ()) -> int | None:
        """One statement in a transaction of its own; the id of the row it inserted. The
        same transaction first settles what earlier runs left open (`_settle`)."""
        self._ensure()
        with self._connect(write=True) as db:
            settled = self._settle(db)
            rowid = db.execute(query, args).lastrowid
        if settled:  # in the file now: their stand-ins go
            for path in settled:
                path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.pending_dir.rmdir()  # unless another run's outcome waits there
        return rowid

    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        try:
            if write:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
            else:
                db = self._open_read_only()
        except (OSError, sqlite3.Error) as exc:
            raise self._trouble(exc, opening=True) from None
        try:
            db.row_factory = sqlite3.Row
            with db:  # one transaction: committed on success, rolled back on error
                yield db
        except (sqlite3.DatabaseError, OSError) as exc:
            raise self._trouble(exc) from None
        finally:
            db.close()

    def _open_read_only(self) -> sqlite3.Connection:
        uri = "file:" + urllib.parse.quote(str(self.path.absolute()))
        db = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            db.execute("PRAGMA schema_version").fetchone()  # opening is lazy: this opens
            return db
        except sqlite3.OperationalError as exc:
            db.close()
            name = getattr(exc, "sqlite_errorname", "")
            if name != "SQLITE_CANTOPEN" and not name.startswith("SQLITE_READONLY"):
                raise
        # A WAL file in a folder that cannot take SQLite's shared-memory index (-shm), a
        # read-only folder: read the file as it lies (nothing can be writing it there).
        return sqlite3.connect(uri + "?mode=ro&immutable=1", uri=True)

    def _trouble(self, exc: BaseException, opening: bool = False) -> HistoryError:
        """The error a reader or a writer meets, in words that say what happened."""
        path, name = self.path, getattr(exc, "sqlite_errorname", "") or ""
        code = getattr(exc, "errno", None)
        error = str(exc)
        if name == "SQLITE_FULL" or code == errno.ENOSPC:
            return HistoryError(Said(lambda lang: tr(
                lang, "the disk is full ({path} cannot grow)", path=path)), "full")
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            seconds = f"{BUSY_TIMEOUT_S:g}"
            return HistoryError(Said(lambda lang: tr(
                lang, "the run history is locked by another process ({path}; waited {seconds} s)",
                path=path, seconds=seconds)), "locked")
        cannot_write = (self._cannot_write() if name == "SQLITE_CANTOPEN" or name.startswith("SQLITE_READONLY")
                        else None)
        if cannot_write or name.startswith("SQLITE_READONLY") or code in (errno.EACCES, errno.EPERM, errno.EROFS):
            error = cannot_write or error
            return HistoryError(Said(lambda lang: tr(
                lang, "the run history is read-only ({path}: {error})", path=path, error=error)),
                "read-only")
        if opening and (name == "SQLITE_CANTOPEN" or isinstance(exc, OSError)):
            return HistoryError(Said(lambda lang: tr(lang, "cannot open {path}: {error}",
                                                     path=path, error=error)))
        return HistoryError(Said(lambda lang: tr(
            lang, "{path} is not a usable run history ({error})", path=path, error=error)))

    def _cannot_write(self) -> str | None:
        """Why the file or its folder cannot be written (the system's words), if so: SQLite
        says only "unable to open database file" where a WAL file's index cannot be made."""
        for target in (self.path, self.path.parent):
            if target.exists() and not os.access(target, os.W_OK):
                try:
                    read_only = bool(os.statvfs(target).f_flag & os.ST_RDONLY)
                except (OSError, AttributeError):
                    read_only = False
                return os.strerror(errno.EROFS if read_only else errno.EACCES)
        return None

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = self._checked_version(db)
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

    # -- runs left open -----------------------------------------------------------------
    def _pending(self) -> dict[int, tuple[Path, dict[str, Any]]]:
        """Outcomes kept beside the file while it was locked: run id -> (file, columns)."""
        found = {}
        try:
            entries = list(self.pending_dir.glob("[0-9]*.json"))
        except OSError:
            return {}
        for path in entries:
            try:
                columns = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(columns, dict) and set(columns) == set(_FINISH_COLUMNS):
                    found[int(path.stem)] = (path, columns)
            except (OSError, ValueError):
                continue  # being written (renamed into place whole) or not ours: skipped
        return found

    def _settle(self, db: sqlite3.Connection) -> list[Path]:
        """Inside a write: outcomes that waited beside the file go into it, and runs whose
        process has ended without one become `interrupted`. The kept outcomes' files,
        to remove once this transaction is committed."""
        settled = []
        for run_id, (path, columns) in self._pending().items():
            db.execute("UPDATE runs SET " + ", ".join(f"{c} = ?" for c in _FINISH_COLUMNS)
                       + " WHERE id = ? AND outcome IN ('running', 'interrupted')",
                       (*(columns[c] for c in _FINISH_COLUMNS), run_id))
            settled.append(path)
        for row in db.execute("SELECT id, host, pid, process FROM runs WHERE outcome = 'running'"
                              ).fetchall():
            if process_gone(row["host"], row["pid"], row["process"]):
                db.execute("UPDATE runs SET outcome = 'interrupted', finished = ?, message = ? "
                           "WHERE id = ? AND outcome = 'running'",
                           (now(), _gone_message(row["pid"]), row["id"]))
        return settled

    def _keep_pending(self, run_id: int, columns: Mapping[str, Any]) -> Path:
        from workbench import files

        path = self.pending_dir / f"{run_id}.json"
        try:
            files.write_text(path, json.dumps(dict(columns)))
        except OSError as exc:
            raise self._trouble(exc) from None
        return path

    # -- runs -------------------------------------------------------------------------
    def begin(self, lesson: str, params: Mapping[str, Any], *, step: int | None = None,
              dataset: str | None = None, seed: int | None = None, device: str | None = None,
              precision: str | None = None) -> int | None:
        """The new run's id (None from `Unavailable`)."""
        me = this_process()
        return self._write(
            "INSERT INTO runs (lesson, step, params, dataset, seed, device, precision, started,"
            " host, pid, process) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (lesson, step, _json(dict(params)), dataset, seed, device, precision, now(),
             me["host"], me["pid"], me["process"]))

    def finish(self, run_id: int, outcome: str, *, message: str | None = None,
               metrics: Mapping[str, Any] | None = None, history: Sequence[Mapping] = (),
               model_path: str | None = None, claims: Sequence[Mapping] = ()) -> str | None:
        """Writes the run's outcome. Where another process holds the file locked past
        the busy timeout, the outcome is kept beside it and the file gets it with its next
        write; the return value then says so (a warning for the learner). None otherwise."""
        if outcome not in ENDINGS:
            raise ValueError(f"outcome must be one of {ENDINGS}, got {outcome!r}")
        values = (now(), outcome, message, _json(dict(metrics or {})), _json(list(history)),
                  model_path, _json(list(claims)))
        try:
            self._write("UPDATE runs SET " + ", ".join(f"{c} = ?" for c in _FINISH_COLUMNS)
                        + " WHERE id = ?", (*values, run_id))
        except HistoryError as exc:
            if exc.kind != "locked":
                raise
            pending, path = self._keep_pending(run_id, dict(zip(_FINISH_COLUMNS, values))), self.path
            return Said(lambda lang: tr(
                lang, "warning: the run history is locked by another process ({path}); this run's "
                "outcome is kept in {pending} and goes into the history with its next write",
                path=path, pending=pending))
        return None

    def runs(self, lesson: str | None = None, limit: int | None = None) -> list[RunRecord]:
        """Newest first; a row that cannot be read is left out (and named in `unreadable`)."""
        query, args = "SELECT * FROM runs", []
        if lesson is not None:
            query, args = query + " WHERE lesson = ?", [lesson]
        query += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return self._records(self._read(query, args))

    def get(self, run_id: int) -> RunRecord | None:
        """The run, None if there is none; UnreadableRun if its row cannot be read."""
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        found = self._records(rows)
        if rows and not found:
            raise UnreadableRun(self.unreadable[run_id])
        return found[0] if found else None

    def latest_by_step(self, lesson: str) -> dict[int, RunRecord]:
        """Each path step's latest finished run (outcome done)."""
        rows = self._read("SELECT * FROM runs WHERE lesson = ? AND step IS NOT NULL AND "
                          "outcome IN ('done', 'running') ORDER BY id", (lesson,))  # (one kept aside: done)
        return {run.step: run for run in self._records(rows) if run.outcome == "done"}

    def _records(self, rows: Sequence[sqlite3.Row]) -> list[RunRecord]:
        open_ = ("running", "interrupted")  # an outcome kept beside the file is read over these
        pending = self._pending() if any(row["outcome"] in open_ for row in rows) else {}
        found = []
        for row in rows:
            try:
                found.append(_record(row, pending.get(row["id"], (None, None))[1]))
            except _BadRow as exc:
                self.unreadable[row["id"]] = exc.reason
        return found

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


def _gone_message(pid: int | None) -> str:
    return f"its process ({pid}) ended before the run did: killed, or the machine stopped"


# -- one row ----------------------------------------------------------------------------

class _BadRow(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _kind(value: Any) -> str:
    """What a value is, in JSON's words (a bad row's warning says what it found)."""
    if value is None:
        return "null"
    for types, name in ((bool, "a boolean"), (int, "a whole number"), (float, "a number"), (str, "a string"),
                        (dict, "a JSON object"), (list, "a JSON array"), (bytes, "a blob")):
        if isinstance(value, types):
            return name
    return type(value).__name__


# column -> (what it must hold, its words, whether it may be NULL); the JSON columns by
# what they hold once read.
_SCALARS = {"lesson": (str, "a string", False), "step": (int, "a whole number", True),
            "dataset": (str, "a string", True), "seed": (int, "a whole number", True),
            "device": (str, "a string", True), "precision": (str, "a string", True),
            "started": (str, "a string", False), "finished": (str, "a string", True),
            "outcome": (str, "a string", False), "message": (str, "a string", True),
            "model_path": (str, "a string", True)}
_JSONS = {"params": (dict, "a JSON object"), "metrics": (dict, "a JSON object"),
          "history": (list, "a JSON array"), "claims": (list, "a JSON array")}


def _bad(run_id: int, column: str, found: str, expected: str) -> _BadRow:
    return _BadRow(Said(lambda lang: tr(
        lang, "run #{id} cannot be read: its {column} column holds {found}, not {expected}",
        id=run_id, column=column, found=found, expected=expected)))


def _record(row: sqlite3.Row, pending: Mapping[str, Any] | None = None) -> RunRecord:
    """The run in `row` (its outcome kept beside the file, `pending`, read over it), or
    _BadRow naming the first column that does not hold what it should."""
    values = dict(zip(row.keys(), row))
    if pending and values["outcome"] in ("running", "interrupted"):
        values.update(pending)
    run_id = values["id"]
    for column, (types, expected, nullable) in _SCALARS.items():
        value = values.get(column)
        if (value is None and not nullable) or (value is not None and (
                not isinstance(value, types) or isinstance(value, bool))):
            raise _bad(run_id, column, _kind(value), expected)
    for column, (types, expected) in _JSONS.items():
        text = values.get(column)
        if text is None or text == "":
            values[column] = types()
            continue
        if not isinstance(text, str):
            raise _bad(run_id, column, _kind(text), expected)
        try:
            values[column] = json.loads(text)
        except ValueError:
            raise _BadRow(Said(lambda lang: tr(
                lang, "run #{id} cannot be read: its {column} column is not valid JSON",
                id=run_id, column=column))) from None
        if not isinstance(values[column], types):
            raise _bad(run_id, column, _kind(values[column]), expected)
    for column in ("history", "claims"):  # one object an epoch, one a claim
        if not all(isinstance(item, dict) for item in values[column]):
            raise _bad(run_id, column, "a JSON array of other things", "a JSON array of objects")
    if values["outcome"] == "running" and process_gone(values.get("host"), values.get("pid"),
                                                       values.get("process")):
        values.update(outcome="interrupted", message=values["message"] or _gone_message(values["pid"]))
    return RunRecord(**{name: values[name] for name in RunRecord.__dataclass_fields__})


# -- when the history cannot be used ----------------------------------------------------

class Unavailable(History):
    """Stands in for a history that cannot be used (`reason` says why): a `History` whose
    every read finds nothing and whose every write goes nowhere, so each of its methods,
    present and future, answers as it would for an empty file: no runs, no marks, no id."""

    def __init__(self, reason: str, kind: str = "unusable"):
        self.path, self.reason, self.kind = None, reason, kind
        self.unreadable = {}

    def _read(self, query: str, args: Sequence = ()) -> list[sqlite3.Row]:
        return []

    def _write(self, query: str, args: Sequence = ()) -> None:
        return None


class ReadOnly(History):
    """A history that is read but no longer written (read-only, or on a full disk): its
    reads go to the file, its writes nowhere."""

    def __init__(self, path: Path, reason: str, kind: str):
        self.path, self.reason, self.kind = path, reason, kind
        self._migrated = False
        self.unreadable = {}

    def _write(self, query: str, args: Sequence = ()) -> None:
        return None


class Guarded:
    """A history whose failure costs a warning (`warn(reason)`; the reason is a `Said`
    where it can be) and nothing else; the call is answered as an empty history would.
    After a lock (another process's, for now) the next call tries again; a file that
    cannot be written is still read (`ReadOnly`); any other error, once warned about,
    leaves the history `Unavailable`."""

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
                self._warn(exc.reason)
                answer = Unavailable(exc.reason, exc.kind)
                if exc.kind in ("read-only", "full") and type(self._history) is History:
                    answer = ReadOnly(self._history.path, exc.reason, exc.kind)
                if exc.kind != "locked":
                    self._history = answer
                return getattr(answer, name)(*args, **kwargs)

        return guarded


def open_history(models_dir: str | Path | None = None) -> History | Unavailable:
    """The history of the models folder (made on first use), or `Unavailable` with why."""
    from workbench.results import store

    try:
        return History(store.models_dir(models_dir) / FILE_NAME)
    except HistoryError as exc:
        return Unavailable(exc.reason, exc.kind)


def strict(models_dir: str | Path | None = None) -> History:
    """The history for commands that read it (`workbench runs`): HistoryError (exit 2)
    when unusable."""
    found = open_history(models_dir)
    if isinstance(found, Unavailable):
        raise HistoryError(found.reason, found.kind)
    return found
