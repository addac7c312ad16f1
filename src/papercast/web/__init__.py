"""`papercast serve`: the local web app (Starlette under uvicorn, pages rendered by Jinja)."""

from papercast.web.app import WebConfig, create_app
from papercast.web.security import check_bind, is_local

__all__ = ["WebConfig", "check_bind", "create_app", "is_local"]
