"""Azure collection with the real SDK: read-only, fail-closed, O(subscriptions) requests.

``collect_azure(plan, options)`` (in :mod:`asr_preflight.azure.orchestrator`) is the entry point;
the other modules are the cloud table, the credential, the read-only pipeline policy, the client
factory and one module per fact family. Nothing here is imported until a collection runs.
"""
