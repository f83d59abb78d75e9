"""Network rules (ASR2xx): judged by the NSG and route evaluator in :mod:`asr_preflight.netsec`."""
