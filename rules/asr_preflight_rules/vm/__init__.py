"""ASR5xx: VM and disk support."""
