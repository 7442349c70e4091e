"""Routes of the Django benchmark app."""

from django.urls import path

from bench.apps.django_app import views

urlpatterns = [
    path("dashboard", views.dashboard),
    path("hello", views.hello),
    path("login", views.login),
]
