"""The starter app's pages: home, dashboard, accounts, posts, users, the admin."""

from starlette.routing import BaseRoute

from pyjang.admin import site as admin_site
from pyjang.views import accounts, pages, password_reset, posts, users

__all__ = ["routes"]

routes: list[BaseRoute] = [
    *pages.routes,
    *accounts.routes,
    *posts.routes,
    *users.routes,
    *password_reset.routes,
    *admin_site.routes,
]
