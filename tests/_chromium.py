"""Which chromium the browser tests drive: ``$CHROMIUM`` when set (a path or a command name),
else the first of the usual names on PATH. None when there is none (the tests then skip, saying
how to get one)."""

from __future__ import annotations

import os
import shutil

NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome")
INSTALL_HINT = (
    "install one (Debian/Ubuntu: sudo apt-get install -y chromium) or point "
    "$CHROMIUM at a chromium or chrome executable"
)


def find_chromium(env: dict | None = None) -> str | None:
    env = os.environ if env is None else env
    wanted = env.get("CHROMIUM", "").strip()
    if wanted:
        return shutil.which(wanted, path=env.get("PATH"))
    for name in NAMES:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return found
    return None


def missing_reason(env: dict | None = None) -> str:
    env = os.environ if env is None else env
    wanted = env.get("CHROMIUM", "").strip()
    if wanted:
        return f"CHROMIUM={wanted} is not an executable; {INSTALL_HINT}"
    return f"no chromium found (tried {', '.join(NAMES)} on PATH); {INSTALL_HINT}"
