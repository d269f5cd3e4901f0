"""One package per channel (e-mail, SIP, ...). The engine reaches them only through the registry."""
