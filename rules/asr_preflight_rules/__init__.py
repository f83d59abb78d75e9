"""asr-preflight's built-in rule pack. The catalogue is :data:`asr_preflight_rules.catalogue.RULES`."""
