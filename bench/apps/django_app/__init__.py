"""The same dashboard in Django: cache sessions in Redis, persistent connections."""
