"""The parallel parts of an import: stage 1 judged on several processes,
stage 2 on several database connections (`load_connections`; the loading
itself is `services._Runner.load`).

Judging a row (input rules, ID parsing, encryption, blind indexes, pinyin)
is pure Python and costs ~150–250 µs; while one process does it for a large
file the database waits. So a large file's rows are judged in chunks by a
pool of forked worker processes, in order, and the importing process only
reads the file, numbers the households and writes the staged rows. Workers
never touch the database: everything a judge needs (code tables, villages,
the user's region) is loaded before the fork and inherited.

`judged_chunks` yields the same chunks, rows and warnings in the same order
whether the pool is used or not (tested), so commits, resumption and the
rejected-rows file do not depend on it. The pool is used only where a fork is
safe and pays: a fork-capable platform, no other thread in the process (the
web development server's thread runner stays serial), more than one worker
(`PIMS_IMPORT_WORKERS`, default the CPU count up to 4) and enough bytes left
to read (`PIMS_IMPORT_PARALLEL_BYTES`, default 4 MiB ≈ 15,000 police rows).
"""

import multiprocessing
import os
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Protocol

from django.db import connection, connections

from .reader import SourceError, SourceRow

# Chunks in flight per worker: enough to keep the workers busy while the
# importing process writes, few enough to bound memory on a 2 GB file.
IN_FLIGHT_PER_WORKER = 2


class Judge(Protocol):
    """What stage 1 asks of a source's judge (police: RowJudge)."""

    def stage_row(self, source: SourceRow) -> tuple: ...

    def take_warnings(self) -> Counter: ...


_judge: Judge | None = None  # the worker's judge, inherited through the fork


def pool_size(bytes_left: int) -> int:
    """Worker processes for a stage 1 with `bytes_left` to read; 0 = judge here."""
    workers = int(os.environ.get("PIMS_IMPORT_WORKERS", min(4, os.cpu_count() or 1)))
    threshold = int(os.environ.get("PIMS_IMPORT_PARALLEL_BYTES", 4 << 20))
    if workers < 2 or bytes_left < threshold:
        return 0
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return 0
    return workers


def load_connections() -> int:
    """Database connections loading stage-2 chunks at once (PostgreSQL;
    `PIMS_IMPORT_LOAD_CONNECTIONS`, default 2). Stage 2 is the database's
    work — index maintenance, foreign-key checks, joins — which one
    connection does on one server core; SQLite has one writer."""
    if connection.vendor != "postgresql":
        return 1
    return max(1, int(os.environ.get("PIMS_IMPORT_LOAD_CONNECTIONS", "2")))


def judged_chunks(
    rows: Iterable[SourceRow], judge: Judge, *, size: int, workers: int
) -> Iterator[tuple[list[SourceRow], list[tuple], Counter]]:
    """(source rows, staged tuples, warnings) per chunk of `size` rows, in
    file order. A `SourceError` of the reader (a sheet that breaks off) is
    raised after every row read before it has been yielded."""
    if workers < 2:
        for chunk in _chunks(rows, size):
            yield chunk, [judge.stage_row(source) for source in chunk], judge.take_warnings()
        return
    global _judge
    _judge = judge
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start, initargs=(os.getpid(),)) as pool:
        pending: deque[tuple[list[SourceRow], Future]] = deque()
        try:
            for chunk in _chunks(rows, size):
                pending.append((chunk, pool.submit(_judge_chunk, chunk)))
                if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                    yield _collected(pending.popleft())
        except SourceError:
            while pending:
                yield _collected(pending.popleft())
            raise
        while pending:
            yield _collected(pending.popleft())
    _judge = None


def _chunks(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    chunk: list[SourceRow] = []
    try:
        for source in rows:
            chunk.append(source)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    except SourceError:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def _collected(item) -> tuple[list[SourceRow], list[tuple], Counter]:
    chunk, future = item
    staged, warnings = future.result()
    return chunk, staged, warnings


def _judge_chunk(chunk: list[SourceRow]) -> tuple[list[tuple], Counter]:
    judge = _judge
    assert judge is not None  # judged() sets it before the pool forks
    return [judge.stage_row(source) for source in chunk], judge.take_warnings()


def _worker_start(parent: int) -> None:
    # The parent's database sockets were inherited: drop them unused (a
    # query here would open its own connection, never write into the
    # parent's session; closing them would end the parent's).
    for conn in connections.all(initialized_only=True):
        conn.connection = None
    # Ctrl-C reaches the whole process group: the importing process handles
    # it (the task queue's worker re-queues the job) and ends the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A parent killed with SIGKILL cannot stop its pool; the workers notice
    # and leave instead of waiting forever.
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
