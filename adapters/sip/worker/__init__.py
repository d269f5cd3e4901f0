"""The call-worker process: one PJSUA2 endpoint, one SIP transport, at most 3 checks at once.

Run as `python -m adapters.sip.worker`. The parent (adapters.sip.pool) writes the worker's
settings as the first JSON line on stdin, then commands, one JSON line each; the worker writes
events as JSON lines on its protocol pipe (the original stdout; C-level prints go to stderr).
Only this package imports pjsua2, and only inside the worker process.
"""

# PJSUA is compiled for 4 calls per process: 3 checks, and one slot kept for a REFER's new leg.
CHECKS_PER_WORKER = 3
