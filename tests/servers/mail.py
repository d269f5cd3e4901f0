"""The mail servers (they live in the product: the sandbox runs them too)."""

from probe.sandbox.mailservers import (
    ORG_DOMAIN,
    PROBER_DOMAIN,
    Account,
    MailServers,
    mail_servers_installed,
)

__all__ = ["ORG_DOMAIN", "PROBER_DOMAIN", "Account", "MailServers", "mail_servers_installed"]
