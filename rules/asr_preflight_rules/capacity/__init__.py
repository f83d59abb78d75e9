"""ASR1xx: target capacity (size and quota); the logic is in ``asr_preflight.sizing``, the findings
built from it in :mod:`._common`."""
