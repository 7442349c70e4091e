"""The sample CRUD app: list, create, edit in place and delete posts.

Every page works as a plain form; with HTMX the list creates posts inline,
edits a post where it stands and deletes it after ``hx-confirm``. Reading
is open to everyone; writing needs a login, and changing a post needs its
author or staff (others get 403).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pyjang.auth import login_required
from pyjang.posts import Post, post_errors
from pyjang.runtime import runtime
from pyjang.templating import flash, is_htmx

__all__ = ["PER_PAGE", "routes"]

PER_PAGE = 10
MAX_FORM_FIELDS = 10
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


async def _form(request: Request) -> tuple[str, str]:
    form: FormData = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    subject, body = form.get("subject", ""), form.get("body", "")
    if not isinstance(subject, str) or not isinstance(body, str):
        return "", ""
    return subject.strip(), body.replace("\r\n", "\n")


def _render(
    request: Request, name: str, context: dict[str, Any], status: int = 200
) -> Response:
    fragment = True if name.split("/")[-1].startswith("_") else None
    return runtime(request).templates.render(
        request, name, context, status_code=status, fragment=fragment
    )


def _invalid(request: Request) -> int:
    # htmx swaps only successful answers, so HTMX gets its form back with 200.
    return 200 if is_htmx(request) else 400


async def _post(db: AsyncSession, request: Request, *, change: bool) -> Post:
    post_id = int(request.path_params["id"])
    post = await db.get(Post, post_id) if post_id <= MAX_ID else None
    if post is None:
        raise HTTPException(404, "There is no such post; it may have been deleted.")
    if change and not post.editable_by(request.scope.get("user")):
        raise HTTPException(403, "Only the author or staff may change this post.")
    return post


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, min(int(raw), MAX_PAGE)) if raw.isdigit() and len(raw) < 7 else 1


async def list_posts(request: Request) -> Response:
    """Show a page of posts, newest first, with a form to add one."""
    async with runtime(request).database.session() as db:
        total = int(await db.scalar(select(func.count(Post.id))) or 0)
        pages = max(1, -(-total // PER_PAGE))
        number = min(_page_number(request), pages)
        query = (
            select(Post)
            .order_by(Post.created_at.desc(), Post.id.desc())
            .offset((number - 1) * PER_PAGE)
            .limit(PER_PAGE)
        )
        posts = list((await db.scalars(query)).unique())
    context = {
        "posts": posts,
        "page": number,
        "pages": pages,
        "total": total,
        "errors": {},
        "subject": "",
        "body": "",
    }
    return _render(request, "posts/list.html", context)


@login_required
async def new_post(request: Request) -> Response:
    """Show the form for a new post."""
    context = {"errors": {}, "subject": "", "body": ""}
    return _render(request, "posts/new.html", context)


@login_required
async def create_post(request: Request) -> Response:
    """Add the post the form sent; HTMX gets the post and a fresh form."""
    subject, body = await _form(request)
    errors = post_errors(subject, body)
    context: dict[str, Any] = {"errors": errors, "subject": subject, "body": body}
    if errors:
        name = "posts/_create_form.html" if is_htmx(request) else "posts/new.html"
        return _render(request, name, context, _invalid(request))
    user = request.scope["user"]
    async with runtime(request).database.session() as db:
        post = Post(subject=subject, body=body, author_id=user.id)
        db.add(post)
        await db.commit()
        post = await _post_by_id(db, post.id)
    if is_htmx(request):
        context = {"errors": {}, "subject": "", "body": "", "created": post}
        return _render(request, "posts/_create_form.html", context, 200)
    flash(request, "Your post is published.", "success")
    return RedirectResponse("/posts", status_code=303)


async def _post_by_id(db: AsyncSession, post_id: int) -> Post:
    post = (await db.scalars(select(Post).where(Post.id == post_id))).unique().one()
    return post


async def show_post(request: Request) -> Response:
    """Show one post (HTMX: the post alone, as after a cancelled edit)."""
    async with runtime(request).database.session() as db:
        post = await _post(db, request, change=False)
    name = "posts/_post.html" if is_htmx(request) else "posts/detail.html"
    return _render(request, name, {"post": post})


@login_required
async def edit_post(request: Request) -> Response:
    """Show a post's form: in place for HTMX, as a page otherwise."""
    async with runtime(request).database.session() as db:
        post = await _post(db, request, change=True)
    context = {"post": post, "errors": {}, "subject": post.subject, "body": post.body}
    name = "posts/_edit.html" if is_htmx(request) else "posts/edit.html"
    return _render(request, name, context)


@login_required
async def update_post(request: Request) -> Response:
    """Save a post's changes (PUT from HTMX, POST from a plain form)."""
    async with runtime(request).database.session() as db:
        post = await _post(db, request, change=True)
        subject, body = await _form(request)
        errors = post_errors(subject, body)
        if errors:
            context = {"post": post, "errors": errors, "subject": subject, "body": body}
            name = "posts/_edit.html" if is_htmx(request) else "posts/edit.html"
            return _render(request, name, context, _invalid(request))
        post.subject, post.body = subject, body
        await db.commit()
        post = await _post_by_id(db, post.id)
    if is_htmx(request):
        return _render(request, "posts/_post.html", {"post": post})
    flash(request, "Your changes are saved.", "success")
    return RedirectResponse("/posts", status_code=303)


@login_required
async def delete_post(request: Request) -> Response:
    """Delete a post; a plain form is asked to confirm first."""
    async with runtime(request).database.session() as db:
        post = await _post(db, request, change=True)
        if request.method == "POST":
            form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
            if form.get("confirm") != "yes":
                return _render(request, "posts/confirm_delete.html", {"post": post})
        await db.delete(post)
        await db.commit()
    if request.method == "DELETE" or is_htmx(request):
        return Response(status_code=200)
    flash(request, "The post is deleted.", "success")
    return RedirectResponse("/posts", status_code=303)


routes = [
    Route("/posts", list_posts, methods=["GET"]),
    Route("/posts", create_post, methods=["POST"]),
    Route("/posts/new", new_post, methods=["GET"]),
    Route("/posts/{id:int}", show_post, methods=["GET"]),
    Route("/posts/{id:int}", update_post, methods=["PUT", "POST"]),
    Route("/posts/{id:int}", delete_post, methods=["DELETE"], name="delete_post_htmx"),
    Route("/posts/{id:int}/edit", edit_post, methods=["GET"]),
    Route("/posts/{id:int}/delete", delete_post, methods=["POST"]),
]
