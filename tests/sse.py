"""Reading Server-Sent Events as a client does: (event, data) pairs in arrival order."""

from __future__ import annotations

import json
from typing import Any

import httpx


def events(response: httpx.Response) -> list[tuple[str, Any]]:
    out = []
    for block in response.read().decode().split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            raw = "\n".join(data)
            out.append((name, raw if raw == "[DONE]" else json.loads(raw)))
    return out
