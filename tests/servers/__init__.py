"""Real servers started by the tests on loopback (PostgreSQL, later mail and SIP peers)."""
