"""Splitting a run across processes with torch.distributed: who does which K, and gathering the results.

Under ``torchrun`` (one node or many, e.g. from SLURM) the environment names each process's
``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``; :func:`init` joins the process group with ``gloo`` on
CPU or ``nccl`` on GPU (one GPU per process, chosen by ``LOCAL_RANK``). Every K is solved by one
rank or, when there are fewer K values than ranks, the replicates of each K are split among the
ranks, which then stop their batched solver together (:func:`agree`). The random streams depend only
on (seed, K, replicate), so the gathered solutions are those of a single-process run. Without
torchrun everything here is a no-op for a single process.

Every collective here is one exchange (:func:`_exchange`) that carries either a rank's value or its
failure, so an error on one rank (out of memory, NaN, a damaged file) ends the run on every rank
with that error, at whichever collective each rank is in, instead of leaving the others waiting.
Decisions that must be the same everywhere (resume from a checkpoint, stop the scan) are taken on
rank 0 and handed to the others (:func:`main_first`).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, TypeVar

import numpy as np
import torch
import torch.distributed as dist

from ..errors import UnfoldNMFError

T = TypeVar("T")


@dataclass(frozen=True)
class Ranks:
    """Where this process stands in the run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that writes the outputs."""
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip().isdigit() else default


def current() -> Ranks:
    """This process's rank, world size and local rank (``Ranks()`` outside a process group)."""
    if not (dist.is_available() and dist.is_initialized()):
        return Ranks()
    return Ranks(dist.get_rank(), dist.get_world_size(), _env_int("LOCAL_RANK", 0))


def init(device: str = "auto") -> Ranks:
    """Join the process group that torchrun's environment describes; a no-op for a single process.

    ``device`` is the configured ``auto|cpu|cuda``: with a GPU (and not ``cpu``) the backend is
    ``nccl`` and this process uses GPU ``LOCAL_RANK``; otherwise the backend is ``gloo``.
    """
    world_size = _env_int("WORLD_SIZE", 1)
    if world_size <= 1 or not dist.is_available() or dist.is_initialized():
        return current()
    gpu = device != "cpu" and torch.cuda.is_available()
    if gpu:
        torch.cuda.set_device(_env_int("LOCAL_RANK", 0) % torch.cuda.device_count())
    dist.init_process_group("nccl" if gpu else "gloo")
    return current()


def finish() -> None:
    """Leave the process group, if this process joined one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def share(k_values: list[int], ranks: Ranks | None = None) -> list[int]:
    """The K values this rank solves, in increasing order.

    The cost of a K grows about linearly with K, so the K values are dealt largest first to the
    rank with the least work so far (ties to the lowest rank); the split depends only on
    ``k_values`` and the world size.
    """
    ranks = ranks or current()
    load = [0] * ranks.world_size
    mine = []
    for k in sorted(k_values, reverse=True):
        owner = min(range(ranks.world_size), key=lambda r: (load[r], r))
        load[owner] += k
        if owner == ranks.rank:
            mine.append(k)
    return sorted(mine)


def replicate_block(replicates: int, ranks: Ranks | None = None) -> range:
    """This rank's contiguous block of the replicate indices 0 … ``replicates`` − 1 of one K."""
    ranks = ranks or current()
    bounds = np.linspace(0, replicates, ranks.world_size + 1).round().astype(int)
    return range(int(bounds[ranks.rank]), int(bounds[ranks.rank + 1]))


def agree(converged: bool, failed: bool) -> tuple[bool, bool]:
    """(every rank converged, some rank failed); the flags themselves for one process."""
    if current().world_size == 1:
        return converged, failed
    verdicts = _exchange((converged, failed))
    return all(done for done, _ in verdicts), any(bad for _, bad in verdicts)


def concatenate(part: np.ndarray) -> np.ndarray:
    """Every rank's ``part`` joined along the first axis in rank order, on every rank."""
    if current().world_size == 1:
        return part
    return np.concatenate(_exchange(part), axis=0)


def gather(part: dict) -> dict:
    """Merge every rank's dict (e.g. K -> solution) into one, on every rank."""
    if current().world_size == 1:
        return part
    merged: dict = {}
    for other in _exchange(part):
        merged.update(other)
    return dict(sorted(merged.items()))


def by_columns(task: Callable[[np.ndarray], np.ndarray], data: np.ndarray) -> np.ndarray:
    """``task(data)`` for a task independent per column (e.g. per sample): each rank does a
    contiguous block of the columns and every rank gets the whole (rows × columns) result; a
    failure on any rank is raised on every rank."""
    ranks = current()
    if ranks.world_size == 1:
        return task(data)
    blocks = np.array_split(np.arange(data.shape[1]), ranks.world_size)
    failure, block = _attempt(lambda: task(data[:, blocks[ranks.rank]]))
    return np.concatenate(_exchange(block, failure), axis=1)


def main_first(task: Callable[[], T]) -> T:
    """Run ``task`` on rank 0 only and hand its result to every rank (e.g. the decision to resume
    or to stop the scan, so that no rank decides differently); its error is raised on all."""
    ranks = current()
    if ranks.world_size == 1:
        return task()
    failure, value = _attempt(task) if ranks.is_main else (None, None)
    return _exchange(value, failure)[0]


@contextmanager
def all_or_none() -> Iterator[None]:
    """Run a block on every rank; if it fails on any rank, it fails on all with that rank's error.

    A rank that fails sends its error to the collective the others reach next, whichever it is
    (every collective here is the same exchange), and they raise it there; without this, the
    others would wait for the failed rank forever.
    """
    if current().world_size == 1:
        yield
        return
    try:
        yield
    except BaseException as exc:
        if getattr(exc, KNOWN_TO_ALL, False):
            raise
        shared = _shareable(exc)
        try:
            _exchange(None, shared)
        except UnfoldNMFError:
            pass
        for known in (exc, shared):
            setattr(known, KNOWN_TO_ALL, True)
        if isinstance(exc, Exception) and exc is not shared:
            raise shared from exc  # one clear line on this rank too, as on the others
        raise
    _exchange(None)


#: Attribute set on an exception every rank has seen, so that an enclosing block does not send it again.
KNOWN_TO_ALL = "known_to_all_ranks"


def _exchange(value: object, failure: UnfoldNMFError | None = None) -> list:
    """Every rank's ``value`` in rank order: the one collective this module is built on.

    A rank sends ``failure`` instead when it has failed; every rank then raises the first failure.
    Because every collective is this one, a failure reaches the other ranks at whatever collective
    each of them is in, and all of them leave it together.
    """
    envelopes: list = [None] * dist.get_world_size()
    dist.all_gather_object(envelopes, (failure, value))
    failures = [sent for sent, _ in envelopes if sent is not None]
    if failures:
        setattr(failures[0], KNOWN_TO_ALL, True)
        raise failures[0]
    return [value for _, value in envelopes]


def _attempt(task: Callable[[], T]) -> tuple[UnfoldNMFError | None, T | None]:
    """(None, result) of ``task``, or (its error in a form every rank can raise, None)."""
    try:
        return None, task()
    except Exception as exc:
        return _shareable(exc), None


def _shareable(exc: BaseException) -> UnfoldNMFError:
    """``exc`` itself when it is one of ours (its message and exit code carry over), else an
    error naming this rank and what went wrong."""
    if isinstance(exc, UnfoldNMFError):
        return exc
    return UnfoldNMFError(f"rank {current().rank}: {type(exc).__name__}: {exc}")
