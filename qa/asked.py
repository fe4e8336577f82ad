"""What is asked, checked before anything is searched: the question (text, valid Unicode,
not empty, not too long), its options, and the conversation before it."""

from __future__ import annotations

import re
from datetime import date

from qa.errors import InvalidInput

MAX_TOP_K = 50
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # lone surrogates: not valid Unicode text


def validated(question: str, since: date | None, until: date | None,
              top_k: int | None, max_chars: int) -> str:
    """The question stripped, or ``InvalidInput`` saying what is wrong with what is asked."""
    if not isinstance(question, str):
        raise InvalidInput("the question must be text")
    question = question.strip()
    if not question:
        raise InvalidInput("the question is empty")
    if _SURROGATE.search(question):
        raise InvalidInput("the question is not valid Unicode text")
    if top_k is not None and not 1 <= top_k <= MAX_TOP_K:
        raise InvalidInput(f"top_k must be between 1 and {MAX_TOP_K}")
    if len(question) > max_chars:
        raise InvalidInput(f"the question is longer than {max_chars} characters")
    if since and until and since > until:
        raise InvalidInput("since is after until")
    return question


def split_messages(messages: list[dict[str, str]],
                    max_chars: int) -> tuple[str, list[dict[str, str]]]:
    """The question (the last message) and the conversation before it. Earlier turns are
    read too (a follow-up is searched with the previous question), so they are held to the
    same rules: text, valid Unicode, a question's length (an answer's: ten times that)."""
    if not messages or messages[-1].get("role") != "user":
        raise InvalidInput("the last message must be the user's question")
    for number, message in enumerate(messages[:-1], start=1):
        content = message.get("content", "")
        limit = max_chars if message.get("role") == "user" else 10 * max_chars
        if not isinstance(content, str) or _SURROGATE.search(content):
            raise InvalidInput(f"message {number} is not valid Unicode text")
        if len(content) > limit:
            raise InvalidInput(f"message {number} is longer than {limit} characters")
    return messages[-1].get("content", ""), messages[:-1]
