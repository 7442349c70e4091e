"""The starter app's pages: accounts, home and dashboard."""

from starlette.routing import BaseRoute

from pyjang.views import accounts, pages

__all__ = ["routes"]

routes: list[BaseRoute] = [*pages.routes, *accounts.routes]
