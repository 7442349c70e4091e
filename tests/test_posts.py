"""The sample posts app: pages, HTMX partials, ownership and pagination."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from pyjang.posts import Post
from tests.admin.support import (
    RELAXED_LIMITS,
    ROLES,
    add_user,
    become,
    count,
    database,
    fetch,
    run,
    sign_in,
    token,
)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(rate_limit_auth=RELAXED_LIMITS)


def add_post(
    client: TestClient, author: uuid.UUID, subject: str = "Hello", minutes: int = 0
) -> int:
    """Insert a post written ``minutes`` after a fixed moment; return its id."""

    async def add() -> int:
        async with database(client).session() as db:
            when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                minutes=minutes
            )
            post = Post(subject=subject, body="Body", author_id=author, created_at=when)
            db.add(post)
            await db.commit()
            return post.id

    result: int = run(client, add)
    return result


def subjects(html: str) -> list[str]:
    return re.findall(r'<h2 class="post-subject">([^<]*)</h2>', html)


def test_anyone_reads_the_list_newest_first_with_pages(client: TestClient) -> None:
    author = add_user(client, "writer@example.com")
    for n in range(12):
        add_post(client, author, f"Post {n:02}", minutes=n)
    first = client.get("/posts")
    assert first.status_code == 200
    assert subjects(first.text) == [f"Post {n:02}" for n in range(11, 1, -1)]
    assert 'href="/posts?page=2"' in first.text and "Log in</a> to write" in first.text
    second = client.get("/posts?page=2")
    assert subjects(second.text) == ["Post 01", "Post 00"]
    assert subjects(client.get("/posts?page=99").text) == ["Post 01", "Post 00"]
    assert client.get("/posts?page=abc").status_code == 200


def test_a_logged_in_user_creates_a_post_with_a_plain_form(client: TestClient) -> None:
    become(client, "user")
    assert client.get("/posts/new").status_code == 200
    data = {"csrf_token": token(client), "subject": " Plain ", "body": "Text\r\nmore"}
    answer = client.post("/posts", data=data)
    assert answer.status_code == 303 and answer.headers["location"] == "/posts"
    (post,) = fetch(client, select(Post))
    assert (post.subject, post.body) == ("Plain", "Text\nmore")
    assert "Your post is published." in client.get("/posts").text


def test_htmx_creates_inline_and_returns_a_fresh_form(client: TestClient) -> None:
    become(client, "user")
    data = {"csrf_token": token(client), "subject": "Inline", "body": ""}
    answer = client.post("/posts", data=data, headers=HTMX)
    assert answer.status_code == 200 and "<html" not in answer.text
    assert answer.text.lstrip().startswith(
        '<form method="post" action="/posts" id="post-create"'
    )
    assert 'hx-swap-oob="afterbegin:#post-list"' in answer.text
    assert '<h2 class="post-subject">Inline</h2>' in answer.text
    assert 'value=""' in answer.text, "the form is emptied for the next post"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"subject": ""}, "Give the post a subject."),
        ({"subject": "   "}, "Give the post a subject."),
        ({"subject": "s" * 201}, "Use at most 200 characters."),
        ({"subject": "ok", "body": "b" * 20_001}, "Use at most 20000 characters."),
        ({"subject": "nul\x00"}, "Remove the control characters."),
    ],
)
def test_bad_posts_are_refused_with_a_message(
    client: TestClient, data: dict[str, str], message: str
) -> None:
    become(client, "user")
    csrf = token(client)
    plain = client.post("/posts", data={"csrf_token": csrf, **data})
    assert plain.status_code == 400 and message in plain.text
    htmx = client.post("/posts", data={"csrf_token": csrf, **data}, headers=HTMX)
    assert htmx.status_code == 200 and message in htmx.text and "<html" not in htmx.text
    assert count(client, Post) == 0


def test_the_author_edits_in_place(client: TestClient) -> None:
    me = become(client, "user")
    assert me is not None
    post_id = add_post(client, me)
    form = client.get(f"/posts/{post_id}/edit", headers=HTMX)
    assert form.status_code == 200 and "<html" not in form.text
    assert f'hx-put="/posts/{post_id}"' in form.text and 'value="Hello"' in form.text
    data = {"subject": "Edited", "body": "New body"}
    saved = client.put(
        f"/posts/{post_id}", data=data, headers={**HTMX, "X-CSRF-Token": token(client)}
    )
    assert saved.status_code == 200
    assert saved.text.lstrip().startswith(f'<article class="post" id="post-{post_id}">')
    assert "Edited" in saved.text and "New body" in saved.text
    cancel = client.get(f"/posts/{post_id}", headers=HTMX)
    assert cancel.text.lstrip().startswith("<article")


def test_a_plain_form_edits_and_errors_keep_the_input(client: TestClient) -> None:
    me = become(client, "user")
    assert me is not None
    post_id = add_post(client, me)
    page = client.get(f"/posts/{post_id}/edit")
    assert page.text.startswith("<!doctype html>")
    bad = client.post(
        f"/posts/{post_id}",
        data={"csrf_token": token(client), "subject": "", "body": "kept"},
    )
    assert bad.status_code == 400 and "kept" in bad.text
    good = client.post(
        f"/posts/{post_id}",
        data={"csrf_token": token(client), "subject": "Fine", "body": ""},
    )
    assert good.status_code == 303
    assert [p.subject for p in fetch(client, select(Post))] == ["Fine"]


def test_delete_with_htmx_and_with_a_confirmed_plain_form(client: TestClient) -> None:
    me = become(client, "user")
    assert me is not None
    first, second = add_post(client, me, "A"), add_post(client, me, "B")
    listing = client.get("/posts").text
    assert f'hx-delete="/posts/{first}"' in listing and "hx-confirm=" in listing
    gone = client.delete(
        f"/posts/{first}", headers={**HTMX, "X-CSRF-Token": token(client)}
    )
    assert gone.status_code == 200 and gone.text == ""
    ask = client.post(f"/posts/{second}/delete", data={"csrf_token": token(client)})
    assert ask.status_code == 200 and 'id="confirm-delete"' in ask.text
    assert count(client, Post) == 1
    data = {"csrf_token": token(client), "confirm": "yes"}
    assert client.post(f"/posts/{second}/delete", data=data).status_code == 303
    assert count(client, Post) == 0


def _writes(post_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", "/posts/new"),
        ("POST", "/posts"),
        ("GET", f"/posts/{post_id}/edit"),
        ("PUT", f"/posts/{post_id}"),
        ("POST", f"/posts/{post_id}"),
        ("POST", f"/posts/{post_id}/delete"),
        ("DELETE", f"/posts/{post_id}"),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_permissions_on_every_route(client: TestClient, role: str) -> None:
    owner = add_user(client, "owner@example.com")
    post_id = add_post(client, owner)
    become(client, role)
    csrf = token(client, "/login" if role == "anonymous" else "/dashboard")
    assert client.get("/posts").status_code == 200
    assert client.get(f"/posts/{post_id}").status_code == 200
    for method, path in _writes(post_id):
        data = {"subject": "Changed by " + role, "body": ""}
        answer = client.request(method, path, data=data, headers={"X-CSRF-Token": csrf})
        if role == "anonymous":
            assert answer.status_code == 302, (method, path)
            assert answer.headers["location"].startswith("/login?next=/posts")
        elif role == "user" and path != "/posts" and path != "/posts/new":
            assert answer.status_code == 403, (method, path)
        else:
            assert answer.status_code in (200, 303), (method, path)
    remaining = fetch(client, select(Post).where(Post.id == post_id))
    if role in ("anonymous", "user"):
        assert [p.subject for p in remaining] == ["Hello"], "untouched"
    else:
        assert remaining == [], "staff may change and delete anyone's post"


def test_controls_show_only_to_those_who_may_use_them(client: TestClient) -> None:
    owner = add_user(client, "owner@example.com")
    post_id = add_post(client, owner)
    become(client, "user")
    assert f'hx-delete="/posts/{post_id}"' not in client.get("/posts").text
    sign_in(client, "owner@example.com")
    assert f'hx-delete="/posts/{post_id}"' in client.get("/posts").text


@pytest.mark.parametrize("path", ["/posts/999999", "/posts/abc", f"/posts/{2**40}"])
def test_missing_posts_are_404(client: TestClient, path: str) -> None:
    become(client, "staff")
    assert client.get(path).status_code == 404
    assert client.get(path + "/edit").status_code == 404
    answer = client.put(
        path, data={"subject": "x"}, headers={"X-CSRF-Token": token(client)}
    )
    assert answer.status_code in (404, 405)


def test_writes_need_the_csrf_token(client: TestClient) -> None:
    me = become(client, "user")
    assert me is not None
    post_id = add_post(client, me)
    assert client.post("/posts", data={"subject": "x"}).status_code == 403
    assert client.delete(f"/posts/{post_id}").status_code == 403
    assert count(client, Post) == 1


def test_an_author_with_posts_keeps_them_listed(client: TestClient) -> None:
    me = become(client, "user")
    assert me is not None
    add_post(client, me, "Mine")
    page: Any = client.get("/posts")
    assert "by user ·" in page.text
