"""The console progress the CLI passes to the collectors."""

from __future__ import annotations

from asr_preflight.cli_progress import _printable, console_progress
from asr_preflight.options import ProgressEvent


def test_disabled_progress_is_no_callback() -> None:
    with console_progress(False) as progress:
        assert progress is None


def test_the_bars_take_both_stages_and_stop() -> None:
    with console_progress(True) as progress:
        assert progress is not None
        progress(ProgressEvent("azure", 0, 3, "subscriptions"))
        progress(ProgressEvent("azure", 3, 3, "regions and eligibility"))
        progress(ProgressEvent("guests", 1, 2, "vm-web-01"))


def test_estate_names_cannot_drive_the_terminal() -> None:
    assert _printable("vm\x1b[2J[bold]x") == "vm?[2J\\[bold]x"
