"""Greetings read off the call path (issue 18 item 4): after a connected call is recorded, each
person who answered gets a job; worker processes of their own transcribe the greetings with the
speech engine (adapters/sip/greeting, the optional extra `probe[speech]`) and store the proposal
for the operator (storage/greetings.py). Calls never wait for them: the call workers run at a
better nice value than these, and nothing on the call path reads a proposal.

Without the extra (or its model) the worker says why once and does nothing: the etiquette
columns stay the operator's. See docs/greeting.md.
"""
