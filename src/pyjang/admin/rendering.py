"""What every admin view shares: finding the model and row, answering."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pyjang.admin.registry import AdminSite, ModelAdmin
from pyjang.runtime import runtime
from pyjang.templating import is_htmx

__all__ = [
    "NOT_FOUND",
    "done",
    "find_admin",
    "find_row",
    "forbid_unless",
    "invalid_status",
    "render",
]

NOT_FOUND = "There is no such row; it may have been deleted."


def find_admin(site: AdminSite, request: Request) -> ModelAdmin:
    """Return the admin named in the path, or raise 404."""
    admin = site.get(str(request.path_params.get("model", "")))
    if admin is None:
        raise HTTPException(404, "No such model is registered with the admin.")
    return admin


async def find_row(
    db: AsyncSession, request: Request, admin: ModelAdmin, raw: str
) -> Any:
    """Return the row whose key is written ``raw`` in the path, or raise 404.

    A key that does not parse for the model's key type is a 404 as well.
    """
    try:
        key = admin.parse_pk(raw)
    except LookupError:
        raise HTTPException(404, NOT_FOUND) from None
    query = admin.modify_query(request, select(admin.model)).where(admin.pk == key)
    row = (await db.scalars(query)).unique().first()
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    return row


def forbid_unless(allowed: bool) -> None:
    """Raise 403 unless ``allowed``."""
    if not allowed:
        raise HTTPException(403, "You may not change this row.")


def invalid_status(request: Request) -> int:
    """Return the status of a form answered with errors.

    htmx swaps only successful answers into the page, so an HTMX request
    gets its form back with 200; a plain form gets 400.
    """
    return 200 if is_htmx(request) else 400


def render(
    site: AdminSite,
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    fragment: bool | None = None,
) -> Response:
    """Render an admin template with the site in its context."""
    values = {"site": site, "prefix": site.prefix, **context}
    return runtime(request).templates.render(
        request, name, values, status_code=status_code, fragment=fragment
    )


def done(request: Request, target: str) -> Response:
    """Send the browser to ``target``: HX-Redirect for HTMX, else 303."""
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
