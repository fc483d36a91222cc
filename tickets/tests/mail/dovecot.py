"""A private Dovecot IMAP server for the IMAP door's tests: Debian's ``dovecot-imapd``, started
from a config in a temp directory (127.0.0.1, a free port, no SSL, one user from a passwd-file,
Maildir under the temp directory), in the foreground as a child of the test, stopped after it.

Without ``dovecot`` the tests are skipped — unless ``CI=true``, where they fail: CI installs the
package (``.ci/run``), so a missing server there is a broken set-up, not a reason to pass."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "desk"
PASSWORD = "imap-test-password"


@dataclass
class Dovecot:
    host: str
    port: int
    user: str
    password: str


def _binary() -> str | None:
    return shutil.which("dovecot") or next(
        (path for path in ("/usr/sbin/dovecot", "/sbin/dovecot") if os.access(path, os.X_OK)), None
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start():
    """Start Dovecot in a temp directory of its own; a generator for a pytest fixture (yields a
    ``Dovecot``, then stops the server and removes the directory)."""
    binary = _binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("needs Debian's dovecot-imapd (CI installs it: .ci/run)")
        pytest.skip("needs Debian's dovecot-imapd")
    # Not pytest's tmp_path: its parents are private to the current user, and Dovecot's auth and
    # mail processes run as other users when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    root.chmod(0o755)
    try:
        yield from _serve(binary, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _serve(binary: str, root: Path):
    port = _free_port()
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    # Mail is owned by the current user, or by "nobody" when the tests run as root (Dovecot
    # refuses mail access as uid 0). A non-root master also runs its login and internal
    # processes as the current user.
    if os.geteuid() == 0:
        owner = pwd.getpwnam("nobody")
        os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
        users = ""
    else:
        owner = pwd.getpwuid(os.geteuid())
        users = f"default_login_user = {owner.pw_name}\ndefault_internal_user = {owner.pw_name}\n"
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    config = root / "dovecot.conf"
    config.write_text(
        f"""base_dir = {root}/run
state_dir = {root}/state
instance_name = helpdesk-test-{port}
log_path = {root}/dovecot.log
{users}protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
    )
    process = subprocess.Popen([binary, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                    stderr = process.stderr.read().decode() if process.stderr else ""
                    pytest.fail(f"Dovecot did not start:\n{stderr}\n{log}")
                time.sleep(0.1)
        yield Dovecot("127.0.0.1", port, USER, PASSWORD)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
