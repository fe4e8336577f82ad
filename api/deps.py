"""What routes receive through ``Depends``: the engine built in the lifespan, the settings,
and the API-key check of write routes."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from api.errors import APIError
from qa.config import Settings
from qa.engine import QAEngine
from qa.intake import Intake


def get_engine(request: Request) -> QAEngine:
    engine: QAEngine = request.app.state.engine
    return engine


def get_intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


_bearer = HTTPBearer(auto_error=False, description="QA_API_KEY, when the server sets one.")


def require_key(settings: Annotated[Settings, Depends(get_settings)],
                credentials: Annotated[HTTPAuthorizationCredentials | None,
                                       Depends(_bearer)]) -> None:
    """Write routes: the bearer token must equal QA_API_KEY when one is set."""
    if settings.api_key is None:
        return
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), settings.api_key.encode()):
        message = ("this route needs Authorization: Bearer <QA_API_KEY>" if not given
                   else "the API key is not valid")
        raise HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def media_type(request: Request) -> str:
    """The request's Content-Type without parameters, lower-cased."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def require_json(request: Request) -> None:
    """Routes whose body is a JSON object: anything else is 415, not a puzzling 422."""
    kind = media_type(request)
    if kind != "application/json" and not kind.endswith("+json"):
        raise APIError(415, "unsupported_media_type",
                       "send the body as JSON with Content-Type: application/json")


Engine = Annotated[QAEngine, Depends(get_engine)]
Intakes = Annotated[Intake, Depends(get_intake)]
WriteKey = Depends(require_key)
JSONBody = Depends(require_json)
