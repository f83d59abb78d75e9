from __future__ import annotations

import os
from pathlib import Path

import pytest

from asr_preflight import fsutil


def test_writes_and_replaces_without_leaving_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "out" / "results.json"
    fsutil.write_text(target, "first")
    fsutil.write_text(target, "second ✓")
    assert target.read_text(encoding="utf-8") == "second ✓"
    assert sorted(p.name for p in target.parent.iterdir()) == ["results.json"]


def test_a_failed_write_keeps_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old, complete")
    with pytest.raises(RuntimeError), fsutil.atomic_open(target) as handle:
        handle.write(b"half a rep")
        raise RuntimeError("renderer crashed")
    assert target.read_text() == "old, complete"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_failed_first_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "results.xml"
    with pytest.raises(KeyboardInterrupt), fsutil.atomic_open(target) as handle:
        handle.write(b"<testsuites")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("hard_links", [True, False], ids=["link", "no-hard-links"])
def test_no_overwrite_keeps_a_file_that_appeared_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hard_links: bool
) -> None:
    if not hard_links:  # a filesystem without hard links (some network or FUSE mounts)

        def refuse(*_: object) -> None:
            raise PermissionError(1, "Operation not permitted")

        monkeypatch.setattr(os, "link", refuse)
    target = tmp_path / "plan.toml"
    fsutil.write_text(target, "new plan", overwrite=False)
    assert target.read_text() == "new plan"
    with pytest.raises(FileExistsError), fsutil.atomic_open(target, overwrite=False) as handle:
        handle.write(b"another plan")
        target.write_text("# written by someone else meanwhile\n")
    assert target.read_text() == "# written by someone else meanwhile\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.toml"]
    dangling = tmp_path / "link.toml"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError):
        fsutil.write_text(dangling, "x", overwrite=False)
    assert not (tmp_path / "nowhere").exists()


def test_permissions_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = fsutil.write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_failing_renderer_leaves_the_previous_reports_untouched(tmp_path: Path) -> None:
    from asr_preflight.reporters import FileReporter, write_reports

    def good(evaluation: object, info: object) -> str:
        return "new"

    def broken(evaluation: object, info: object) -> str:
        raise RuntimeError("renderer bug")

    (tmp_path / "a.txt").write_text("old")
    (tmp_path / "b.txt").write_text("old")
    table = {"a": FileReporter("a.txt", good), "b": FileReporter("b.txt", broken)}
    with pytest.raises(RuntimeError):
        write_reports(None, None, ["a", "b"], tmp_path, table)  # type: ignore[arg-type]
    assert (tmp_path / "a.txt").read_text() == "old" and (tmp_path / "b.txt").read_text() == "old"


def test_a_renderer_failing_midway_through_its_stream_leaves_the_previous_set(
    tmp_path: Path,
) -> None:
    from typing import IO

    from asr_preflight.reporters import FileReporter, write_reports

    def streams(evaluation: object, info: object, out: IO[bytes]) -> None:
        out.write(b"new, written piece by piece")

    def breaks(evaluation: object, info: object, out: IO[bytes]) -> None:
        out.write(b"half a report")
        raise RuntimeError("renderer bug")

    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text("old")
    table = {
        "a": FileReporter("a.txt", stream=streams),
        "b": FileReporter("b.txt", stream=breaks),
        "c": FileReporter("c.txt", stream=streams),
    }
    with pytest.raises(RuntimeError):
        write_reports(None, None, ["a", "b", "c"], tmp_path, table)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt", "c.txt"]  # no temp
    assert all((tmp_path / n).read_text() == "old" for n in ("a.txt", "b.txt", "c.txt"))
    written = write_reports(None, None, ["a", "c"], tmp_path, table)  # type: ignore[arg-type]
    assert [p.name for p in written] == ["a.txt", "c.txt"]
    assert (tmp_path / "a.txt").read_text() == "new, written piece by piece"
    assert (tmp_path / "b.txt").read_text() == "old"


def test_a_full_disk_names_the_report_it_could_not_write(tmp_path: Path) -> None:
    # write(2) raises ENOSPC without a file name; the CLI turns an OSError with a file name into
    # "<file>: No space left on device" (exit 2), and one without into "internal error, a bug".
    import errno
    from typing import IO

    from asr_preflight.reporters import FileReporter, write_reports

    def fills_the_disk(evaluation: object, info: object, out: IO[bytes]) -> None:
        out.write(b"half a report")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    (tmp_path / "a.txt").write_text("old")
    table = {"a": FileReporter("a.txt", stream=fills_the_disk)}
    with pytest.raises(OSError, match="No space left") as caught:
        write_reports(None, None, ["a"], tmp_path, table)  # type: ignore[arg-type]
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == str(tmp_path / "a.txt")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert (tmp_path / "a.txt").read_text() == "old"


def test_a_rename_failing_after_others_succeeded_restores_the_previous_set(
    tmp_path: Path,
) -> None:
    # Only the renames remain after every file is written; one can still fail (here a directory
    # in the way): the files already renamed go back to the previous run's.
    from typing import IO

    from asr_preflight.reporters import FileReporter, write_reports

    def streams(evaluation: object, info: object, out: IO[bytes]) -> None:
        out.write(b"new")

    (tmp_path / "a.txt").write_text("old")
    (tmp_path / "b.txt").mkdir()
    (tmp_path / "b.txt" / "keep").write_text("x")
    table = {"a": FileReporter("a.txt", stream=streams), "b": FileReporter("b.txt", stream=streams)}
    table["c"] = FileReporter("c.txt", stream=streams)
    with pytest.raises(OSError):
        write_reports(None, None, ["c", "a", "b"], tmp_path, table)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]  # no c, no temp
    assert (tmp_path / "a.txt").read_text() == "old"
