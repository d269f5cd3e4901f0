"""A fetched (or rendered) page, parsed with selectolax's Lexbor HTML parser, and what every
detector needs from it: visible text, links, a CSS selector naming an element."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

# Elements whose text is not what a visitor reads.
INVISIBLE = ("script", "style", "noscript", "template")
HEADINGS = "h1, h2, h3, h4, h5, h6, title, legend, summary, caption"


@dataclass
class Page:
    url: str
    html: str
    depth: int = 0
    rendered: bool = False
    status: int = 200
    # The link text that led here (a menu item says what the page is).
    via_text: str = ""
    evidence_key: str = field(default="")

    @cached_property
    def tree(self) -> LexborHTMLParser:
        return LexborHTMLParser(self.html)

    @cached_property
    def visible_text(self) -> str:
        clean = LexborHTMLParser(self.html)
        clean.strip_tags(list(INVISIBLE))
        body = clean.body
        return body.text(separator=" ", strip=True) if body is not None else ""

    def links(self) -> list[tuple[str, str]]:
        """(absolute URL without fragment, the link's text) for every <a href>."""
        found = []
        for node in self.tree.css("a[href]"):
            href = (node.attributes.get("href") or "").strip()
            if not href or href.startswith(("javascript:", "#")):
                continue
            url = urldefrag(urljoin(self.url, href)).url
            found.append((url, text_of(node)))
        return found

    def headings(self) -> list[LexborNode]:
        return list(self.tree.css(HEADINGS))


def text_of(node: LexborNode, limit: int = 300) -> str:
    text = " ".join((node.text(separator=" ", strip=True) or "").split())
    if not text:
        text = " ".join(
            node.attributes.get(a) or "" for a in ("title", "aria-label", "value", "alt")
        ).strip()
    return text[:limit]


def _css_ident(value: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else f"\\{ord(c):x} " for c in value)


def selector_of(node: LexborNode) -> str:
    """A CSS selector that names this element in its page (id where there is one)."""
    parts: list[str] = []
    current: LexborNode | None = node
    while current is not None and current.tag not in (None, "-undef", "html", "#document"):
        ident = current.attributes.get("id") if current.attributes else None
        if ident:
            parts.append(f"#{_css_ident(ident)}")
            break
        tag = current.tag or ""
        index = 1
        sibling = current.prev
        while sibling is not None:
            if sibling.tag == tag:
                index += 1
            sibling = sibling.prev
        parts.append(f"{tag}:nth-of-type({index})")
        current = current.parent
    return " > ".join(reversed(parts))


def _host(name: str | None) -> str:
    name = (name or "").lower()
    return name[4:] if name.startswith("www.") else name


def same_site(url: str, origin: str) -> bool:
    """One site: the same host (with or without `www.`) and port."""
    a, b = urlsplit(url), urlsplit(origin)
    return (
        a.scheme in ("http", "https")
        and _host(a.hostname) == _host(b.hostname)
        and (a.port == b.port)
    )


def folded(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())
