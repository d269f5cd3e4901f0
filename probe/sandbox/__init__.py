"""The sandbox region: real mail and SIP servers on loopback playing the organisations' side.

`probe sandbox` (probe/sandbox/run.py) starts them, imports the bundled Omsk directory, runs a
campaign in compressed time, prints a summary, exports the protocol and serves the review UI.
The same launchers serve the integration tests (tests/servers/)."""
