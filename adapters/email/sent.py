"""Copies of sent probes in the prober's IMAP Sent folder, and looking one up after a crash.

A copy is appended only after the SMTP server accepted the message, so finding it proves the
probe went out. The window between acceptance and the append (milliseconds) is the one case
`find_sent` cannot see: the runner then treats the probe as possibly sent (see docs/email.md).
"""

from __future__ import annotations

import aioimaplib

from adapters.email import imap
from probe.settings import Settings


async def find_sent(*, settings: Settings, message_id: str) -> bool:
    """Whether a probe with this Message-ID (angle brackets optional) is in the Sent folder."""
    wanted = message_id if message_id.startswith("<") else f"<{message_id}>"
    client = await imap.connect(settings.imap, network=settings.network)
    try:
        response = await client.select(imap.mailbox_arg(settings.imap.sent_mailbox))
        if response.result != "OK":
            return False  # no Sent folder yet: nothing was ever filed
        return bool(await imap.search_header(client, "Message-ID", wanted))
    finally:
        await imap.close(client)


class SentFolder:
    """One IMAP connection, kept open, that files copies of accepted probes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client: aioimaplib.IMAP4 | None = None

    async def file(self, raw: bytes) -> None:
        for attempt in range(2):
            if self.client is None or self.client.lost.is_set():
                await self.close()
                self.client = await imap.connect(self.settings.imap, network=self.settings.network)
            try:
                await imap.append(self.client, mailbox=self.settings.imap.sent_mailbox, raw=raw)
                return
            except (imap.ImapConnectionLost, OSError, TimeoutError, aioimaplib.AioImapException):
                await self.close()
                if attempt:
                    raise

    async def close(self) -> None:
        client, self.client = self.client, None
        await imap.close(client)
