"""Legacy Word .doc, WPS .wps and .rtf: converted to .docx by LibreOffice, then read as .docx.

LibreOffice headless (Debian: libreoffice-writer-nogui) is the one converter that
reads all three faithfully, tables and automatic numbering included. Each call
converts in its own temporary folder with its own LibreOffice profile (two
conversions at once would otherwise fight over the user profile's lock), under a
time limit; the whole process group is killed when it runs over. Kingsoft WPS
.wps files are Word binary documents under another name: they are handed to
LibreOffice as .doc (named .wps it would try the Microsoft Works filter).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from parser import progress
from parser.errors import ParseError

TIMEOUT_S = 120
INSTALL_HINT = "apt-get install libreoffice-writer-nogui"


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(data: bytes, name: str, timeout: float = TIMEOUT_S) -> bytes:
    """The .docx LibreOffice makes of `data` (a .doc, .wps or .rtf), or ParseError."""
    soffice = find_soffice()
    if soffice is None:
        raise ParseError(
            f"{name}: reading .doc/.wps needs LibreOffice, which is not installed: {INSTALL_HINT}"
        )
    suffix = ".rtf" if data.startswith(b"{\\rtf") else ".doc"
    progress.step("LibreOffice", 0, 1)
    with tempfile.TemporaryDirectory(prefix="taskbot-convert-") as tmp:
        folder = Path(tmp)
        source = folder / f"plan{suffix}"
        source.write_bytes(data)
        out = folder / "out"
        command = [
            soffice,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(out),
            str(source),
        ]
        _run(command, timeout, name, folder)
        result = out / "plan.docx"
        if not result.is_file() or result.stat().st_size == 0:
            raise ParseError(f"{name}: LibreOffice could not read it (corrupt .doc/.wps?)")
        progress.step("LibreOffice", 1, 1)
        return result.read_bytes()


def _run(command: list[str], timeout: float, name: str, home: Path) -> None:
    # No display, no writes to the real home (a service account may have none).
    env = {**os.environ, "SAL_USE_VCLPLUGIN": "svp", "HOME": str(home)}
    env.pop("DISPLAY", None)
    # Own session: soffice forks soffice.bin; on a timeout the whole group goes.
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env,
    )
    try:
        _out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ParseError(
            f"{name}: LibreOffice did not finish converting within {timeout:.0f} s"
        ) from None
    if proc.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else f"exit {proc.returncode}"
        raise ParseError(f"{name}: LibreOffice failed to convert it ({detail})")
