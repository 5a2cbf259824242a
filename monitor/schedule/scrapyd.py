"""Deploying the project to Scrapyd: a small egg carrying the Scrapy project entry point.

Scrapyd runs a project from an egg it puts on ``sys.path`` as a zip file. The
monitor reads data files next to its modules (taxonomy, language profiles,
Alembic migrations, replica), which cannot be read from inside a zip, so the
code is installed on the Scrapyd node as the ``defence-monitor`` package (pip
install, like any dependency) and the egg carries only what Scrapyd needs to
find the project: ``settings.py`` and the ``scrapy`` entry point. Deploy a new
egg version whenever ``settings.py`` changes; upgrade the package for code.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from monitor.schedule.launchers import LaunchError

REPO_SETTINGS = Path(__file__).resolve().parents[2] / "settings.py"
SETUP_PY = """from setuptools import setup

setup(
    name="monitor-scrapyd-project",
    version={version!r},
    py_modules=["settings"],
    entry_points={{"scrapy": ["settings = settings"]}},
    zip_safe=True,
)
"""


def build_egg(dest: Path, version: str | None = None, settings_file: Path = REPO_SETTINGS) -> Path:
    """Build the project egg into ``dest`` with setuptools' ``bdist_egg``; returns its path."""
    if not settings_file.is_file():
        raise LaunchError(f"{settings_file}: settings module not found (run from a source checkout)")
    version = version or time.strftime("%Y%m%d%H%M%S")
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="monitor-egg-") as tmp:
        work = Path(tmp)
        shutil.copy(settings_file, work / "settings.py")
        (work / "setup.py").write_text(SETUP_PY.format(version=version), encoding="utf-8")
        result = subprocess.run([sys.executable, "setup.py", "-q", "bdist_egg", "-d", str(dest)], cwd=work,
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise LaunchError(f"building the Scrapyd egg failed: {result.stderr.strip()[-500:]}")
    eggs = sorted(dest.glob(f"monitor_scrapyd_project-{version}-*.egg"))
    if not eggs:
        raise LaunchError(f"building the Scrapyd egg produced no egg in {dest}")
    return eggs[-1]


def add_version(url: str, egg: Path, *, project: str = "monitor", version: str | None = None,
                timeout: float = 120.0) -> dict:
    """Upload ``egg`` to Scrapyd's ``addversion.json`` (multipart form); returns Scrapyd's answer."""
    version = version or egg.name.split("-")[1]
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in (("project", project), ("version", version)):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; filename="{egg.name}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + egg.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    request = urllib.request.Request(url.rstrip("/") + "/addversion.json", data=b"".join(parts),
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - operator URL
            answer = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise LaunchError(f"Scrapyd at {url}: addversion.json: {exc}") from exc
    if answer.get("status") != "ok":
        raise LaunchError(f"Scrapyd at {url}: addversion.json: {answer.get('message', answer)}")
    return answer


def deploy(url: str, *, project: str = "monitor", version: str | None = None) -> dict:
    """Build the egg and add it to Scrapyd as a new version of ``project``."""
    with tempfile.TemporaryDirectory(prefix="monitor-deploy-") as tmp:
        egg = build_egg(Path(tmp), version)
        return add_version(url, egg, project=project, version=version)
