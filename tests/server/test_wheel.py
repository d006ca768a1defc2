"""The wheel `make dist` builds: it carries the dashboard's Chart.js and its licence, installs into a clean venv,
and `loglens serve` from there serves `/` and `/explore` with every script and stylesheet they reference.

The module builds the sdist and, from it, the wheel (`python -m build`, as `make dist` does) once, and installs
the wheel into a fresh `python -m venv` with its dependencies constrained to requirements-runtime.lock (from PyPI,
through pip's cache). About a minute in all.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import require
from tests.support.live import LiveServer

pytestmark = [pytest.mark.server, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "src" / "loglens" / "web" / "static" / "vendor"
VENDORED = ("chart.umd.min.js", "chart.js.LICENSE.md", "swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui.LICENSE")
BUILD_SECONDS = 300
INSTALL_SECONDS = 300
COMMAND_SECONDS = 60


@dataclass(frozen=True)
class Installed:
    wheel: Path
    sdist: Path
    python: Path  # the clean venv's interpreter
    bin: Path


def clean_env() -> dict[str, str]:
    """This environment without PYTHONPATH (nothing leaks in from the source tree) and without LogLens settings."""
    dropped = ("PYTHONPATH", "CONFIG_PATH")
    return {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("LOGLENS_")}


def attempt(cmd: list[str | Path], timeout: float, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=clean_env(), check=False
    )


def run(cmd: list[str | Path], timeout: float, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command that must succeed."""
    done = attempt(cmd, timeout, cwd)
    assert done.returncode == 0, f"{cmd} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    require(importlib.util.find_spec("build") is not None, "the build package is not installed (make install)")
    require((VENDOR / VENDORED[0]).exists(), f"{VENDOR} is empty: make install copies Chart.js there from npm")
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    run([sys.executable, "-m", "build", "--outdir", dist, ROOT], BUILD_SECONDS)
    [wheel] = dist.glob("loglens-*.whl")
    [sdist] = dist.glob("loglens-*.tar.gz")
    venv = work / "venv"
    run([sys.executable, "-m", "venv", venv], COMMAND_SECONDS)
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", "-c", ROOT / "requirements-runtime.lock", wheel], INSTALL_SECONDS)
    yield Installed(wheel=wheel, sdist=sdist, python=python, bin=venv / "bin")


def test_wheel_and_sdist_carry_chart_js_and_its_licence(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as whl:
        in_wheel = set(whl.namelist())
    with tarfile.open(installed.sdist) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for name in VENDORED:
        assert f"loglens/web/static/vendor/{name}" in in_wheel
        assert f"src/loglens/web/static/vendor/{name}" in in_sdist
    assert "loglens/__main__.py" in in_wheel


def test_installed_wheel_imports_loglens_from_its_venv_without_the_clickhouse_driver(installed: Installed) -> None:
    where = run([installed.python, "-c", "import loglens; print(loglens.__file__)"], COMMAND_SECONDS, cwd=ROOT.parent)
    assert "site-packages" in where.stdout
    driver = "import importlib.util as u; print(u.find_spec('clickhouse_driver') is None)"
    assert run([installed.python, "-c", driver], COMMAND_SECONDS).stdout.strip() == "True"  # an extra


def test_loglens_version_prints_the_package_version(installed: Installed) -> None:
    import loglens

    done = run([installed.bin / "loglens", "--version"], COMMAND_SECONDS)
    assert done.stdout.strip() == f"loglens {loglens.__version__}"


def test_python_m_loglens_is_the_loglens_command(installed: Installed) -> None:
    import loglens

    assert run([installed.python, "-m", "loglens", "--version"], COMMAND_SECONDS).stdout.strip() == (
        f"loglens {loglens.__version__}"
    )
    assert "serve" in run([installed.python, "-m", "loglens", "--help"], COMMAND_SECONDS).stdout


class Assets(HTMLParser):
    """The script and stylesheet URLs of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(str(found["src"]))
        if tag == "link" and (found.get("rel") or "") in ("stylesheet", "icon") and found.get("href"):
            self.urls.append(str(found["href"]))


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return int(response.status), response.read()


def test_served_from_the_wheel_pages_load_every_script_and_stylesheet(installed: Installed, tmp_path: Path) -> None:
    with LiveServer(tmp_path / "data", python=str(installed.python)) as server:
        loaded: list[str] = []
        for page in ("/", "/explore", "/docs"):
            status, body = fetch(server.url + page)
            assert status == 200, page
            assets = Assets()
            assets.feed(body.decode())
            assert any(u.endswith(".js") for u in assets.urls), f"{page} references no script"
            for url in assets.urls:
                status, content = fetch(server.url + url)
                assert status == 200 and content, url
                loaded.append(url)
        assert any(u.endswith("/vendor/chart.umd.min.js") for u in loaded), loaded
        status, licence = fetch(server.url + "/static/vendor/chart.js.LICENSE.md")
        assert status == 200 and b"MIT" in licence


def test_serve_on_clickhouse_without_the_extra_stops_with_one_line(installed: Installed, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("storage:\n  backend: clickhouse\n", encoding="utf-8")
    done = attempt([installed.bin / "loglens", "serve", "--config", config, "--port", "1"], COMMAND_SECONDS)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "loglens[clickhouse]" in done.stderr, done.stderr
