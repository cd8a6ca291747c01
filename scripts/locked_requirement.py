"""Print one package's pin from uv.lock as a pip requirement, with the hash of every file
the lock allows for it:

    python3 scripts/locked_requirement.py uv > requirement.txt
    pip install --require-hashes --no-deps -r requirement.txt

`make` installs uv itself this way (at the version and from the files the lock names)
before uv installs everything else from the lock. Standard library only: it runs before
the project's environment exists.
"""

import sys
import tomllib
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "uv.lock"


def requirement(name: str) -> str:
    packages = [p for p in tomllib.loads(LOCK.read_text())["package"] if p["name"] == name]
    if len(packages) != 1:
        raise SystemExit(f"uv.lock pins {name} {len(packages)} times; expected once")
    package = packages[0]
    files = [*package.get("wheels", []), *filter(None, [package.get("sdist")])]
    hashes = " ".join(f"--hash={file['hash']}" for file in files)
    return f"{name}=={package['version']} {hashes}"


if __name__ == "__main__":
    print(requirement(sys.argv[1]))
