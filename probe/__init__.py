"""Contact-availability prober: the engine (channel-agnostic)."""

__version__ = "0.1.0"
