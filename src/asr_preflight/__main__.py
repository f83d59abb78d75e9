from asr_preflight.cli import main

main()
