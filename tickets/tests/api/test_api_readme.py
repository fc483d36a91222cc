"""The README's "Using the API" walk-through, run as written against a live server.

The ```sh blocks of that section run one after another in one bash (``set -euo pipefail``, so
every command must succeed; ``curl --fail-with-body`` turns HTTP errors into failures) with
``BASE`` pointing at pytest-django's live server and the demo desk of ``make run`` seeded. Each
block's output is checked against what the README says it prints.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

README = Path(__file__).resolve().parents[3] / "README.md"
MARK = "::end of block::"


def api_section() -> str:
    text = README.read_text()
    start = text.index("## Using the API")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def sh_blocks(section: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def test_the_section_has_the_five_steps():
    blocks = sh_blocks(api_section())
    assert len(blocks) == 5
    assert "auth/token/" in blocks[0]
    assert "attachments=@" in blocks[1]
    assert "--data-urlencode status=open" in blocks[2]
    assert ".next // empty" in blocks[3]
    assert "sla_breached=true" in blocks[4]


@pytest.mark.django_db(transaction=True)
def test_readme_walkthrough_runs_as_written(live_server, tmp_path):
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"missing tools: {missing}")
        pytest.skip(f"missing tools: {missing}")
    call_command("seed_demo", verbosity=0)
    section = api_section()
    blocks = sh_blocks(section)
    script = "set -euo pipefail\n" + "".join(f"{block}\necho '{MARK}'\n" for block in blocks)
    result = subprocess.run(  # noqa: S603 - our own README, run on purpose
        ["bash", "-c", script],  # noqa: S607
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "BASE": live_server.url, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    outputs = [part.strip("\n").splitlines() for part in result.stdout.split(MARK + "\n")]
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert len(outputs) == len(blocks) + 1 and outputs[-1] == []

    # 1. token, then who I am
    assert outputs[0] == ["Ada Lovelace (customer)"]
    assert "prints `Ada Lovelace (customer)`" in section

    # 2. the ticket with its attachment
    created, attachment = outputs[1]
    assert created == '{"status":"open","priority":"high","category":"billing","message_count":1}'
    assert attachment == "invoice.txt text/plain 52 bytes"
    assert f"prints `{created}`" in " ".join(section.split())
    assert f"`{attachment}`" in section

    # 3. two more tickets, the filtered list, and a 400 for an unknown value
    step3 = outputs[2]
    assert re.fullmatch(r"created #\d+ urgent", step3[0]) and re.fullmatch(r"created #\d+ urgent", step3[1])
    assert step3[2:4] == ["Refund for order 1042", "Card was charged twice"]
    assert step3[-1] == '{"status":["Select a valid choice. done is not one of the available choices."]}'
    assert f"`{step3[-1]}`" in section

    # 4. every urgent ticket before every high one, across more than one page of two
    lines = outputs[3]
    rows = [line.split("  ", 2) for line in lines]
    priorities = [priority for priority, _, _ in rows]
    assert len(lines) > 2
    assert priorities == sorted(priorities, key=["urgent", "high"].index)
    assert {
        ("urgent", "Refund for order 1042"),
        ("urgent", "Card was charged twice"),
        ("high", "Invoice total looks wrong"),
    } <= {(priority, subject) for priority, _, subject in rows}
    ids = [number for _, number, _ in rows]
    assert len(ids) == len(set(ids))  # no ticket twice across pages

    # 5. SLAs: an agent's breached tickets with the state of each target
    step5 = outputs[4]
    state = r"\w+ (running|paused|fulfilled|breached)"
    assert step5 and all(re.fullmatch(rf"#\d+ {state}(, {state})*", line) for line in step5), step5
    assert any("breached" in line for line in step5)
    assert len({line.split()[0] for line in step5}) == len(step5)
    example = re.search(r"targets \(`(#\d+ [^`]+)`\)", section)
    assert example and re.fullmatch(rf"#\d+ {state}(, {state})*", example.group(1))

    # 2 again: the Idempotency-Key made the retry safe
    again = subprocess.run(  # noqa: S603
        ["bash", "-c", "set -euo pipefail\n" + blocks[0] + blocks[1]],  # noqa: S607
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "BASE": live_server.url, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    from tickets.models import Ticket

    assert Ticket.objects.filter(subject="Invoice total looks wrong").count() == 1
