"""Inside the guests: transports (SSH, WinRM), the probe runner and the guest collector.

The probe scripts live in the ``asr_preflight_checks`` package (``linux/*.sh``,
``windows/*.ps1``); :func:`asr_preflight.guest.collect.collect_guests` runs them on every
selected VM and turns their JSON into :class:`~asr_preflight.snapshot.GuestFacts`. paramiko and
pywinrm are imported only when a guest is actually probed.
"""
