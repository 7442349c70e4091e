"""The dashboard, the trivial route and the login view."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

__all__ = ["dashboard", "hello", "login"]


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the logged-in user's page."""
    return render(request, "dashboard.html", {"instance": "django"})


def hello(request: HttpRequest) -> HttpResponse:
    """Answer a fixed text."""
    return HttpResponse("hello, world", content_type="text/plain; charset=utf-8")


login = LoginView.as_view(template_name="login.html")
