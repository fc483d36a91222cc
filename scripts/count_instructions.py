"""Instructions per request of the requests `make bench` measures, counted by valgrind (issue 19).

CPU time on a shared two-core machine moves by 10-50 % from one run to the next; the number of
instructions a request executes does not (callgrind counts them, whatever else the machine does).
This serves each request of ``scripts/profile_requests.py`` through Django's test client against
the benchmark database, under ``valgrind --tool=callgrind``, with the garbage collector settled as
in a web worker (``helpdesk.runtime``): three warm-up requests, then the
counters are zeroed, ``--runs`` requests are served, and the counters are read. It prints millions
of instructions per request (the Python process's own; SQL runs in PostgreSQL's process).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python scripts/count_instructions.py [--runs 5] [--only substring]

The marks are valgrind's client requests (``callgrind.h``, from Debian's valgrind package),
compiled here into a small library; a run takes about a minute per request.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

_MARKS_C = r"""
#include <valgrind/callgrind.h>
void marks_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void marks_zero(void) { CALLGRIND_ZERO_STATS; }
void marks_dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
"""


def _marks_library(folder: Path) -> Path:
    source, library = folder / "marks.c", folder / "marks.so"
    source.write_text(_MARKS_C)
    compile_marks = ["gcc", "-O1", "-shared", "-fPIC", "-o", str(library), str(source)]
    subprocess.run(compile_marks, check=True)  # noqa: S603,S607 - the machine's compiler, fixed arguments
    return library


def _inner(args: argparse.Namespace) -> None:
    """Runs under valgrind: serve the requests, with the counters zeroed and read around them."""
    import json

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from profile_requests import requests_to_profile  # also sets Django up

    from helpdesk.runtime import settle

    settle()  # as a web worker does once the app is loaded (helpdesk.asgi)
    marks = ctypes.CDLL(os.environ["HELPDESK_CALLGRIND_MARKS"])
    folder = Path(os.environ.get("HELPDESK_BENCH_OUT", "var/bench"))
    accounts = json.loads((folder / "accounts.json").read_text())
    started = False
    for index, (name, request) in enumerate(requests_to_profile(accounts).items()):
        if args.only and args.only not in name:
            continue
        for _ in range(3):
            answer = request()
            assert answer.status_code in (200, 201), (name, answer.status_code)
        if not started:
            marks.marks_start()
            started = True
        marks.marks_zero()
        for _ in range(args.runs):
            request()
        marks.marks_dump(f"request {index}".encode())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        _inner(args)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    with tempfile.TemporaryDirectory(prefix="helpdesk-callgrind-") as scratch:
        folder = Path(scratch)
        env = {**os.environ, "HELPDESK_CALLGRIND_MARKS": str(_marks_library(folder)), "PYTHONHASHSEED": "0"}
        subprocess.run(  # noqa: S603 - valgrind on this script, fixed arguments
            [  # noqa: S607 - valgrind from the PATH (Debian's package)
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={folder}/callgrind.out.%p",
                sys.executable,
                __file__,
                "--inner",
                "--runs",
                str(args.runs),
                "--only",
                args.only,
            ],
            check=True,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        names = _names()
        for dump in sorted(folder.glob("callgrind.out.*"), key=lambda path: path.stat().st_mtime):
            text = dump.read_text(errors="replace")
            trigger = re.search(r"^desc: Trigger: Client Request: request (\d+)", text, re.M)
            totals = re.search(r"^(?:totals|summary): (\d+)", text, re.M)
            if trigger and totals:
                per_request = int(totals.group(1)) / args.runs / 1e6
                print(f"{names[int(trigger.group(1))]:60} {per_request:8.1f} M instructions a request", flush=True)


def _names() -> list[str]:
    """The requests' names in profile_requests' order, without setting Django up here."""
    source = (Path(__file__).resolve().parent / "profile_requests.py").read_text()
    body = source[source.index("    return {") :]
    return re.findall(r'^        "([^"]+)":', body, re.M)


if __name__ == "__main__":
    main()
