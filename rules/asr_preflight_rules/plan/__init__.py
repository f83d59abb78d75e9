"""ASR0xx: plan, regions, vault and replication policy."""
