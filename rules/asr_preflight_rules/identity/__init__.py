"""ASR4xx: identity and access (Azure RBAC), judged by :mod:`asr_preflight.rbac`."""
