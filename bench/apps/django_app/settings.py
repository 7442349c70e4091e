"""Django settings for the benchmark, read from the environment the bench sets."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

_database = urlsplit(os.environ.get("DATABASE_URL", "postgresql://127.0.0.1/bench"))

SECRET_KEY = os.environ.get("SESSION_KEY", "bench-only-" + "x" * 40)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.apps.django_app.urls"
WSGI_APPLICATION = "bench.apps.django_app.wsgi.application"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).parent / "templates"],
        "OPTIONS": {
            "context_processors": ["django.contrib.auth.context_processors.auth"]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _database.path.lstrip("/"),
        "USER": _database.username or "postgres",
        "HOST": _database.hostname or "127.0.0.1",
        "PORT": _database.port or 5432,
        "CONN_MAX_AGE": 600,
    }
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_COOKIE_AGE = 12 * 3600
PASSWORD_HASHERS = ["bench.apps.django_app.hashers.Argon2Hasher"]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/dashboard"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
