"""asr-preflight's built-in rule pack; the catalogue is `catalogue.RULES`."""
