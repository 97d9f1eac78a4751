"""Limits on every executed cell: time, and the text it may print.

A cell that hangs would hang the build forever; a cell that prints without end would fill the
memory and then the book (30,000 lines are 555 PDF pages). Chapters are executed through the
papermill engine registered here, which stops a cell that runs longer than :func:`cell_timeout`
seconds or prints more than :data:`MAX_TEXT_CHARS` characters or :data:`MAX_TEXT_LINES` lines
(stdout, stderr and text results together), and reports it as :class:`CellLimitError` naming the
cell. Figures (images) are not text and count only towards :data:`MAX_OUTPUT_BYTES`.

The largest cell of the book prints about 33,000 characters (the sources appendix); the limits
leave room for three times that. Both can be changed per run with ``EXILE_CELL_TIMEOUT`` (seconds)
and ``EXILE_CELL_OUTPUT`` (characters).
"""

from __future__ import annotations

import asyncio
import os

ENGINE = "exile-report"
DEFAULT_TIMEOUT = 600  # seconds; a whole chapter takes about 10 s
MAX_TEXT_CHARS = 100_000
MAX_TEXT_LINES = 2_000
MAX_OUTPUT_BYTES = 50_000_000


class CellLimitError(RuntimeError):
    """A cell ran too long or printed too much; ``cell_index`` says which."""

    def __init__(self, cell_index: int, message: str):
        super().__init__(message)
        self.cell_index = cell_index


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r}: expected a whole number of 1 or more")
    return int(value)


def cell_timeout() -> int:
    return _env_int("EXILE_CELL_TIMEOUT", DEFAULT_TIMEOUT)


def max_text_chars() -> int:
    return _env_int("EXILE_CELL_OUTPUT", MAX_TEXT_CHARS)


def _register() -> None:
    from nbclient.exceptions import CellTimeoutError
    from nbclient.util import run_sync
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.utils import merge_kwargs, remove_args

    class LimitedClient(PapermillNotebookClient):
        """papermill's client with a per-cell output budget and a timeout naming the cell."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._budget: dict[int, list[int]] = {}
            self._limit = max_text_chars()

        def output(self, outs, msg, display_id, cell_index):
            out = super().output(outs, msg, display_id, cell_index)
            content = msg.get("content", {})
            text, size = "", 0
            if msg.get("msg_type") == "stream":
                text = content.get("text", "")
            for kind, value in (content.get("data") or {}).items():
                size += len(value) if isinstance(value, str) else 0
                if kind in ("text/plain", "text/markdown") and isinstance(value, str):
                    text += value
            used = self._budget.setdefault(cell_index, [0, 0, 0])
            used[0] += len(text)
            used[1] += text.count("\n")
            used[2] += size + len(text)
            if used[0] > self._limit or used[1] > MAX_TEXT_LINES:
                raise CellLimitError(
                    cell_index,
                    (
                        f"printed more than {self._limit:,} characters or {MAX_TEXT_LINES:,} lines "
                        "(the limit of one cell's text output; EXILE_CELL_OUTPUT raises it)"
                    ),
                )
            if used[2] > MAX_OUTPUT_BYTES:
                raise CellLimitError(cell_index, f"output larger than {MAX_OUTPUT_BYTES:,} bytes")
            return out

        async def _async_poll_for_reply(
            self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive
        ):
            # A cell over its output budget stops the output task: stop waiting for the cell's
            # reply at once (the kernel may go on printing forever) and report the limit.
            reply = asyncio.ensure_future(
                super()._async_poll_for_reply(
                    msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive
                )
            )
            await asyncio.wait({reply, task_poll_output_msg}, return_when=asyncio.FIRST_COMPLETED)
            if (
                not reply.done()
                and task_poll_output_msg.done()
                and isinstance(task_poll_output_msg.exception(), CellLimitError)
            ):
                reply.cancel()
                task_poll_kernel_alive.cancel()
                raise task_poll_output_msg.exception()
            return await reply

        async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
            try:
                return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
            except CellTimeoutError:
                raise CellLimitError(
                    cell_index,
                    (
                        f"still running after {self.timeout} s (the per-cell time limit; "
                        "EXILE_CELL_TIMEOUT raises it)"
                    ),
                ) from None

        # nbclient binds the synchronous wrapper to the base method: bind it to ours
        execute_cell = run_sync(async_execute_cell)

    class LimitedEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs,
                timeout=execution_timeout or cell_timeout(),
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            return LimitedClient(nb_man, **final_kwargs).execute()

    papermill_engines.register(ENGINE, LimitedEngine)


def engine() -> str:
    """The name of the papermill engine with the limits (registered on first use)."""
    from papermill.engines import papermill_engines

    if ENGINE not in papermill_engines._engines:
        _register()
    return ENGINE
