"""`make bench` runs every script in bench/ with ``--quick``: each must accept it."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_every_bench_script_accepts_quick() -> None:
    scripts = sorted((REPO / "bench").glob("*.py"))
    assert len(scripts) >= 8
    running = {script.name: subprocess.Popen([sys.executable, str(script), "--help"], cwd=REPO, text=True,
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for script in scripts}
    for name, process in running.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"bench/{name} --help failed: {err[-2000:]}"
        assert "--quick" in out, f"bench/{name} has no --quick option, which `make bench` passes"
