"""A bounded worker for reading untrusted files: each job runs in its own child process
with an address-space limit (RLIMIT_AS), a CPU-time limit (RLIMIT_CPU) and a wall-clock
timeout, at most `concurrency` at a time.

Why a process and not a thread: a hostile .docx (a 400-million-column table span, a zip
bomb) makes the parser allocate gigabytes or spin for minutes, and a thread can be neither
capped nor stopped. A child that hits a limit dies alone — the server, its event loop and
the database threads (the default executor) are untouched — and the caller gets a
`LimitExceeded` naming the limit, which the web layer turns into a 4xx.

Children come from a forkserver that has imported `preload` once, so a job starts in
milliseconds without copying the server's memory. The waiting happens on this object's
own small thread pool, never on the default executor the database calls share.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from bot.errors import UserError
from parser.limits import LimitError

T = TypeVar("T")

MB = 1024 * 1024


class LimitExceeded(UserError):
    """A job hit a limit: "memory" or "time" (the worker's), "reader" (parser/limits.py)."""

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


class JobFailed(UserError):
    """The job could not read its input (the message is one line for the user)."""


def _child(
    conn: Connection, memory: int, cpu: int, fn: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if cpu:
        # The soft limit sends SIGXCPU (fatal by default); the hard one SIGKILL a second later.
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    result: tuple[str, Any]
    try:
        result = ("ok", fn(*args))
    except MemoryError:
        result = ("memory", "")
    except Exception as exc:
        result = _failure(exc)
    try:
        conn.send(result)
    except MemoryError:
        conn.send(("memory", ""))
    finally:
        conn.close()


def _failure(exc: BaseException) -> tuple[str, str]:
    """What went wrong, as (kind, message). A reader that wraps a MemoryError in its own
    error (`raise ParseError(...) from None` still keeps it as __context__) hit the memory
    limit all the same, and is reported as such."""
    seen: BaseException | None = exc
    for _ in range(20):
        if seen is None:
            break
        if isinstance(seen, MemoryError):
            return ("memory", "")
        seen = seen.__cause__ or seen.__context__
    try:
        raise exc
    except LimitError as err:  # a reader's own cap (parser/limits.py): named, like ours
        return ("limit", str(err)[:500])
    except RecursionError:
        return ("error", "文件结构嵌套过深，无法读取")
    except (UserError, ValueError) as err:  # ParseError is a ValueError
        return ("error", str(err)[:500])
    except Exception as other:  # anything else the reader did not expect: still one line
        return ("crash", f"{type(other).__name__}: {str(other)[:300]}")


class BoundedWorker:
    """Runs picklable module-level functions in limited child processes."""

    def __init__(
        self,
        *,
        memory_mb: int = 1024,
        seconds: float = 60.0,
        concurrency: int = 2,
        preload: Sequence[str] = ("parser",),
    ) -> None:
        self.memory_mb = memory_mb
        self.seconds = seconds
        self.concurrency = concurrency
        self._ctx = multiprocessing.get_context("forkserver")
        if preload:
            # Process-wide by multiprocessing's design (one forkserver per process): every
            # BoundedWorker of a process asks for the same modules, so this is idempotent.
            self._ctx.set_forkserver_preload(list(preload))
        self._slots: asyncio.Semaphore | None = None
        # Two threads per job at most: starting/joining the child and reading its answer.
        self._threads = ThreadPoolExecutor(
            max_workers=2 * concurrency, thread_name_prefix="bounded-worker"
        )

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a child; its result, or `LimitExceeded` / `JobFailed`."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        async with self._slots:
            return await self._run_one(fn, args)

    async def _run_one(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        loop = asyncio.get_running_loop()
        recv, send = self._ctx.Pipe(duplex=False)
        cpu = max(1, int(self.seconds))
        proc = self._ctx.Process(
            target=_child, args=(send, self.memory_mb * MB, cpu, fn, args), daemon=True
        )
        try:
            await loop.run_in_executor(self._threads, proc.start)
            send.close()
            try:
                kind, value = await asyncio.wait_for(
                    loop.run_in_executor(self._threads, _receive, recv), self.seconds + 2
                )
            except TimeoutError:
                raise LimitExceeded(
                    "time", f"文件处理超出时间上限（{self.seconds:g} 秒），已停止"
                ) from None
        finally:
            if proc.is_alive():
                proc.kill()
            if proc.pid is not None:
                await loop.run_in_executor(self._threads, proc.join, 10)
            recv.close()
        if kind == "died":
            kind = "time" if proc.exitcode == -signal.SIGXCPU else "memory"
            if proc.exitcode not in (-signal.SIGXCPU, -signal.SIGKILL):
                raise JobFailed(f"文件无法读取（处理进程异常退出，代码 {proc.exitcode}）")
        if kind == "ok":
            result: T = value
            return result
        if kind == "memory":
            raise LimitExceeded(
                "memory", f"文件处理超出内存上限（{self.memory_mb} MB），已停止；请检查文件"
            )
        if kind == "time":
            raise LimitExceeded("time", f"文件处理超出时间上限（{self.seconds:g} 秒），已停止")
        if kind == "limit":
            raise LimitExceeded("reader", f"文件超出解析上限：{value}")
        if kind == "crash":
            raise JobFailed(f"文件无法读取（{value}）")
        raise JobFailed(str(value))

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)


def _receive(conn: Connection) -> tuple[str, Any]:
    try:
        kind, value = conn.recv()
    except (EOFError, OSError):
        return "died", None  # killed: SIGXCPU (CPU limit), SIGKILL (kernel OOM) or a crash
    return str(kind), value
