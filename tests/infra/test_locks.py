"""The lock files (`make lock`, infra/locks.py) match the requirements they were compiled from."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from infra import locks

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted({name for lock in locks.LOCKS for name in (lock.path, lock.source)})


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The requirements and locks as committed, in a directory of their own."""
    for name in FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def first_pin(path: Path) -> tuple[str, str]:
    """The first `name[extras]==version` of `path`: its text up to `==`, and the version."""
    match = re.search(r"^([A-Za-z0-9._-]+(?:\[[^\]]*\])?)==([^\s;#]+)", path.read_text(), re.M)
    assert match, path
    return match.group(1), match.group(2)


def test_every_lock_is_current() -> None:
    assert locks.check() == [], "run `make lock` and commit the lock files"


def test_every_environment_has_a_lock_and_every_requirements_file_is_locked() -> None:
    sources = {lock.source for lock in locks.LOCKS}
    assert sources == {p.name for p in ROOT.glob("requirements*.txt")}
    for lock in locks.LOCKS:
        assert (ROOT / lock.path).is_file(), lock.path


@pytest.mark.parametrize("lock", locks.LOCKS, ids=lambda lock: lock.source)
def test_a_changed_pin_without_a_new_lock_fails(copy: Path, lock: locks.Lock) -> None:
    name, version = first_pin(copy / lock.source)
    edit(copy / lock.source, f"{name}=={version}", f"{name}=={version}.post99")
    found = locks.problems(lock, copy)
    assert any("compiled from another" in problem for problem in found), found
    bare = locks.normalize(name.split("[")[0])
    assert any(f"pins {bare}==" in problem for problem in found), found


def test_an_added_requirement_without_a_new_lock_fails(copy: Path) -> None:
    with (copy / "requirements-dev.txt").open("a") as handle:
        handle.write("some-new-sdk==1.0\n")
    found = locks.check(copy)
    assert found and all("requirements-dev" in problem for problem in found), found


def test_a_change_in_an_included_file_makes_the_including_lock_stale(copy: Path) -> None:
    """requirements-dev.txt includes requirements-local.txt, which includes requirements.txt."""
    name, version = first_pin(copy / "requirements.txt")
    edit(copy / "requirements.txt", f"{name}=={version}", f"{name}=={version}.post99")
    stale = {lock.path for lock in locks.LOCKS if locks.problems(lock, copy)}
    assert stale == {"requirements.lock", "requirements-local.lock", "requirements-dev.lock"}


def test_comments_and_order_do_not_make_a_lock_stale(copy: Path) -> None:
    path = copy / "requirements-dev.txt"
    lines = path.read_text().splitlines()
    path.write_text("# a new comment\n" + "\n".join(reversed(lines)) + "  # trailing\n")
    assert locks.check(copy) == []


def test_a_version_the_dev_lock_does_not_hold_fails(copy: Path) -> None:
    """`.venv` gets the run lock and then the dev lock: they must not disagree on a version."""
    name, version = first_pin(copy / "requirements-local.lock")
    edit(copy / "requirements-local.lock", f"{name}=={version}", f"{name}==0.0.0")
    found = locks.check(copy)
    assert any(locks.normalize(name) in problem and "0.0.0" in problem for problem in found), found


def test_no_lock_names_an_index_or_a_url(copy: Path) -> None:
    assert locks.check(copy) == []
    edit(copy / "requirements-sam.lock", "\n", "\n--index-url http://mirror.invalid/simple\n")
    assert any("names a URL" in problem for problem in locks.check(copy))
