"""Failure injection for the multi-process tests: run the ``unfoldnmf`` command line under torchrun
with one function failing on one rank.

    python -m torch.distributed.run ... tests/inject_failure.py MODULE:FUNCTION RANK CALLS REPORTS -- ARGS...

makes ``MODULE.FUNCTION`` raise ``MemoryError("injected")`` on rank RANK from its CALLS-th call on,
then runs ``unfoldnmf ARGS``. Every rank writes its exit code and the last line it printed to
``REPORTS/rank<R>.txt`` as it exits; the failing rank then waits a moment, so that torchrun does not
stop the other ranks before they have had the chance to finish by themselves.
"""

import contextlib
import importlib
import io
import os
import sys
import time
from pathlib import Path

from unfoldnmf.cli import cli

target, failing_rank, calls, reports = sys.argv[1:5]
arguments = sys.argv[sys.argv.index("--") + 1:]
module_name, function_name = target.split(":")
module = importlib.import_module(module_name)
original = getattr(module, function_name)
rank = int(os.environ["RANK"])
seen = [0]


def failing(*args, **kwargs):
    seen[0] += 1
    if rank == int(failing_rank) and seen[0] >= int(calls):
        raise MemoryError("injected")
    return original(*args, **kwargs)


setattr(module, function_name, failing)
printed = io.StringIO()
code: object = 0
try:
    with contextlib.redirect_stderr(printed):
        cli(arguments, prog_name="unfoldnmf")
except SystemExit as exc:
    code = exc.code
finally:
    lines = printed.getvalue().strip().splitlines() or [""]
    Path(reports, f"rank{rank}.txt").write_text(f"{code}\n{lines[-1]}\n")
    sys.stderr.write(printed.getvalue())
if rank == int(failing_rank):
    time.sleep(3)
sys.exit(code)
