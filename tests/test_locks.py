"""The lock files agree with what they lock, so a clone installs exactly what was tested.

- uv.lock pins every Python package within pyproject.toml's ranges, and this environment
  holds exactly what it pins (`make` installs with `uv sync --locked`, which refuses a lock
  pyproject.toml no longer matches; `make lint` runs `uv lock --check`).
- reflex.lock/bun.lock pins the web app's packages for reflex.lock/package.json (Reflex
  installs them with bun's frozen lockfile), and package.json pins what the locked Reflex
  asks for.

Each check is shown to pass on the committed files and to fail on each way of drifting.
All of it runs offline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sysconfig
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from reflex.constants import PackageJson
from reflex.utils.path_ops import get_bun_path

ROOT = Path(__file__).resolve().parents[1]
UV = Path(sysconfig.get_path("scripts")) / "uv"
WEB_LOCK = ROOT / "reflex.lock"


def run(command: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def uv_lock_check(project: Path) -> subprocess.CompletedProcess[str]:
    return run([UV, "lock", "--check", "--offline"], project)


def locked_version(name: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return str(next(p["version"] for p in lock["package"] if p["name"] == name))


def project_copy(tmp_path: Path, edit: Callable[[str], str] = lambda text: text) -> Path:
    text = (ROOT / "pyproject.toml").read_text()
    edited = edit(text)
    (tmp_path / "pyproject.toml").write_text(edited)
    shutil.copy(ROOT / "uv.lock", tmp_path / "uv.lock")
    return tmp_path


def replacing(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, f"pyproject.toml no longer has {old!r}"
        return text.replace(old, new, 1)

    return edit


def excluding_the_locked_orjson(text: str) -> str:
    release = locked_version("orjson")
    return replacing('"orjson>=3.10,<4"', f'"orjson>=3.10,<4,!={release}"')(text)


def test_uv_lock_agrees_with_pyproject() -> None:
    result = uv_lock_check(ROOT)
    assert result.returncode == 0, result.stderr


def test_this_environment_holds_exactly_what_uv_lock_pins() -> None:
    result = run([UV, "sync", "--locked", "--extra", "test", "--check", "--offline"], ROOT)
    assert result.returncode == 0, result.stderr


def test_an_unchanged_copy_of_the_project_passes_the_check(tmp_path: Path) -> None:
    result = uv_lock_check(project_copy(tmp_path))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(replacing('    "authlib>=1.5,<2",\n', ""), id="a dependency removed"),
        pytest.param(
            replacing('    "authlib>=1.5,<2",\n', '    "authlib>=1.5,<2",\n    "six>=1.16",\n'),
            id="a dependency added",
        ),
        pytest.param(excluding_the_locked_orjson, id="a range that excludes the locked release"),
        pytest.param(replacing('    "aiosmtpd>=1.4,<2",\n', ""), id="a test extra removed"),
        pytest.param(
            replacing('["sentence-transformers"]', "[]"),
            id="an exclusion lifted",
        ),
    ],
)
def test_a_pyproject_the_lock_does_not_match_fails_the_check(
    tmp_path: Path, edit: Callable[[str], str]
) -> None:
    project = project_copy(tmp_path, edit)

    result = uv_lock_check(project)

    assert result.returncode != 0
    assert (project / "uv.lock").read_bytes() == (ROOT / "uv.lock").read_bytes()


@pytest.fixture
def bun(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bun Reflex builds the web app with (rxconfig.py names it)."""
    monkeypatch.chdir(ROOT)
    path = get_bun_path()
    assert path is not None, "no bun: `make` installs it"
    return path


def bun_frozen_install(bun: Path, lock_dir: Path) -> subprocess.CompletedProcess[str]:
    return run([bun, "install", "--frozen-lockfile", "--dry-run"], lock_dir)


def test_the_web_lock_agrees_with_its_package_json(bun: Path, tmp_path: Path) -> None:
    shutil.copytree(WEB_LOCK, tmp_path, dirs_exist_ok=True)

    result = bun_frozen_install(bun, tmp_path)

    assert result.returncode == 0, result.stderr


def test_a_package_json_the_web_lock_does_not_match_fails_the_install(
    bun: Path, tmp_path: Path
) -> None:
    shutil.copytree(WEB_LOCK, tmp_path, dirs_exist_ok=True)
    package = json.loads((tmp_path / "package.json").read_text())
    package["dependencies"]["react"] = "19.0.0"
    (tmp_path / "package.json").write_text(json.dumps(package))

    result = bun_frozen_install(bun, tmp_path)

    assert result.returncode != 0
    assert (tmp_path / "bun.lock").read_bytes() == (WEB_LOCK / "bun.lock").read_bytes()


def test_the_web_lock_pins_what_the_locked_reflex_asks_for() -> None:
    package = json.loads((WEB_LOCK / "package.json").read_text())

    for section, wanted in (
        ("dependencies", PackageJson.DEPENDENCIES),
        ("devDependencies", PackageJson.DEV_DEPENDENCIES),
    ):
        pinned = {name: package[section].get(name) for name in wanted}
        assert pinned == wanted, section
