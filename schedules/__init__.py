"""Campaign planning (working hours, time zones, holidays, retries) and scheduler wiring."""
