"""Signing in by phone and SMS code, choosing the point, and the demo SMS outbox."""
