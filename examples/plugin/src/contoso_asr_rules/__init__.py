"""Contoso's rule pack for asr-preflight: the rule sequence its entry point names."""

from asr_preflight.api import Rule

from .cts001_required_tags import required_tags

#: The asr-preflight rule API this pack is written for: 1.x, at least 1.0.
REQUIRES_API = "1.0"

RULES: tuple[Rule, ...] = (required_tags,)
