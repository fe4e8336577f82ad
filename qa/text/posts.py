"""Social-media posts quoted inside articles: their claims are the poster's, not the news.

An embedded post reads as its text followed by a byline, "— Name (@handle) Date", on the
same line or the next one (the way news sites render embedded tweets as text).
"""

from __future__ import annotations

import re

BYLINE = re.compile(r"\s*[—–-]\s*(?P<name>[^\n(]{1,80}?)\s*\((?P<handle>@\w+)\)[^\n]*")
_INLINE_BYLINE = re.compile(r"\s[—–]\s*(?P<name>[^\n(—–]{1,80}?)\s*\((?P<handle>@\w+)\)[^\n]*")
POST_LINK = re.compile(r"pic\.twitter\.com/|\bt\.co/")


def post_byline(text: str, end: int, start: int | None = None) -> re.Match[str] | None:
    """The byline of the post that the sentence ending at ``end`` belongs to, if any (from
    ``start`` on when given: the sentence may run on into its post's byline)."""
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    begin = end if start is None else start
    # every inline byline holds "(@": most lines have none, and the search is then skipped
    if text.find("(@", begin, line_end) >= 0:
        inline = _INLINE_BYLINE.search(text, begin, line_end)
        if inline:
            return inline
    if text[end:line_end].strip():
        return None
    return BYLINE.match(text, line_end + 1) if line_end < len(text) else None


def post_author(text: str, end: int, start: int | None = None) -> str | None:
    """"Name (@handle)" of the post holding the sentence that ends at ``end``."""
    match = post_byline(text, end, start)
    return f"{match['name'].strip()} ({match['handle']})" if match else None
