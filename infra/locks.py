"""`make lock`: one lock file per environment, compiled by uv; and the check that they are current.

    python3 infra/locks.py            # (re)write the four locks (existing pins are kept: quick,
                                      # and the same inputs give the same files)
    python3 infra/locks.py --upgrade  # let every unpinned dependency move to its newest release
    python3 infra/locks.py --check    # exit 1 naming each lock that is stale (tests/infra runs it)

Each lock's first lines record a sha256 of its input's requirements (comments and order do not
count), so a changed requirements*.txt whose lock was not regenerated is caught. Standard library
only: it runs before any venv exists. No index URL is written (uv does not emit one by default).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HASH_LINE = "# input sha256: "


@dataclass(frozen=True)
class Lock:
    path: str  # the lock file, beside its input
    source: str  # the requirements file it locks
    options: tuple[str, ...]  # how uv resolves it (part of the input hash)
    purpose: str

    def hash(self, root: Path = ROOT) -> str:
        lines = sorted(set(requirement_lines(root / self.source)))
        text = "\n".join([*lines, "--", *self.options])
        return hashlib.sha256(text.encode()).hexdigest()


# Order matters: the run, Lambda locks take the dev lock's versions, so `.venv` (run lock, then
# dev lock added) never changes a version, and the Lambda ships what the tests ran.
LOCKS = (
    Lock(
        "requirements-dev.lock",
        "requirements-dev.txt",
        ("--universal", "--python-version", "3.11"),
        "`make test` and development (.venv), any OS",
    ),
    Lock(
        "requirements-local.lock",
        "requirements-local.txt",
        ("--universal", "--python-version", "3.11", "-c", "requirements-dev.lock"),
        "`make run` (.venv), any OS",
    ),
    Lock(
        "requirements.lock",
        "requirements.txt",
        (
            "--python-version",
            "3.13",
            "--python-platform",
            "x86_64-manylinux2014",
            "--only-binary",
            ":all:",
            "-c",
            "requirements-dev.lock",
        ),
        "the Lambda package (infra/lambda/Makefile): CPython 3.13, manylinux x86_64 wheels",
    ),
    Lock(
        "requirements-sam.lock",
        "requirements-sam.txt",
        ("--universal", "--python-version", "3.11"),
        "the SAM CLI (.venv-sam), any OS",
    ),
)


def requirement_lines(path: Path) -> list[str]:
    """The requirement lines of `path` and the files it includes (-r), without comments."""
    lines: list[str] = []
    for raw in path.read_text().splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        include = re.match(r"^(-r|--requirement)\s*(\S+)$", line)
        if include:
            lines.extend(requirement_lines(path.parent / include.group(2)))
        else:
            lines.append(re.sub(r"\s+", "", line))
    return lines


def pins(lines: list[str]) -> dict[str, set[str]]:
    """name -> versions of the `name[extras]==version` lines (a universal lock may hold two
    versions of one package under different markers; annotations are ignored)."""
    found: dict[str, set[str]] = {}
    for line in lines:
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#\\]+)", line)
        if match:
            found.setdefault(normalize(match.group(1)), set()).add(match.group(3))
    return found


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def problems(lock: Lock, root: Path = ROOT) -> list[str]:
    """Why `lock` is not current for its input (empty: it is)."""
    path = root / lock.path
    if not path.is_file():
        return [f"{lock.path} is missing"]
    text = path.read_text()
    found: list[str] = []
    recorded = [ln.removeprefix(HASH_LINE) for ln in text.splitlines() if ln.startswith(HASH_LINE)]
    if recorded != [lock.hash(root)]:
        found.append(f"{lock.path} was compiled from another {lock.source}")
    locked = pins(text.splitlines())
    for name, versions in pins(requirement_lines(root / lock.source)).items():
        if not versions <= locked.get(name, set()):
            have = ", ".join(sorted(locked.get(name, set()))) or "none"
            found.append(f"{lock.source} pins {name}=={min(versions)}; {lock.path} has {have}")
    if "://" in text:
        found.append(f"{lock.path} names a URL (an index or a direct reference)")
    return found


def disagreements(base: str, other: str, root: Path = ROOT) -> list[str]:
    """Packages `other` holds at a version `base` does not (`other` takes `base`'s versions)."""
    first, second = (pins((root / name).read_text().splitlines()) for name in (base, other))
    return [
        f"{name}: {other} has {', '.join(sorted(second[name]))}, {base} "
        f"{', '.join(sorted(first[name]))}"
        for name in sorted(first.keys() & second.keys())
        if not second[name] <= first[name]
    ]


def check(root: Path = ROOT) -> list[str]:
    """Every reason a lock is not current (empty: all are)."""
    found = [problem for lock in LOCKS for problem in problems(lock, root)]
    if not found:
        for other in ("requirements-local.lock", "requirements.lock"):
            found += disagreements("requirements-dev.lock", other, root)
    return found


def uv_binary() -> str:
    result = subprocess.run(
        [str(ROOT / "infra" / "uv.sh")], capture_output=True, text=True, check=False
    )
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        raise SystemExit("make lock needs uv (infra/uv.sh could not find or bootstrap it)")
    return result.stdout.strip()


def compile_lock(uv: str, lock: Lock, upgrade: bool) -> None:
    command = [uv, "pip", "compile", lock.source, "-o", lock.path, "--quiet", "--no-header"]
    # --no-python-downloads: uv would fetch a CPython 3.13 to resolve the Lambda lock (it does
    # not need one: the target version is enough).
    command += ["--annotation-style", "line", "--no-python-downloads"]
    command += [*lock.options, *(["--upgrade"] if upgrade else [])]
    # No registry setting of the caller's shell may change what is written (nor be written).
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_INDEX")}
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    body = (ROOT / lock.path).read_text()
    header = (
        f"# {lock.purpose}.\n"
        f"# Generated by `make lock` (infra/locks.py) from {lock.source}: edit that, not this.\n"
        f"{HASH_LINE}{lock.hash()}\n"
    )
    (ROOT / lock.path).write_text(header + body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="make lock: compile or check the lock files")
    parser.add_argument("--check", action="store_true", help="only check the locks")
    parser.add_argument("--upgrade", action="store_true", help="newest unpinned dependencies")
    args = parser.parse_args(argv)
    if not args.check:
        uv = uv_binary()
        # Two rounds of compiles side by side: the dev lock (and the SAM CLI's, independent),
        # then the two that take the dev lock's versions.
        for round_ in (LOCKS[::3], LOCKS[1:3]):
            with ThreadPoolExecutor() as pool:
                for lock in round_:
                    print(f"[locks] {lock.path} <- {lock.source}", file=sys.stderr, flush=True)
                list(pool.map(lambda lock: compile_lock(uv, lock, args.upgrade), round_))
    found = check()
    for problem in found:
        print(f"[locks] {problem}", file=sys.stderr)
    if found and args.check:
        print("[locks] run `make lock` and commit the lock files", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
