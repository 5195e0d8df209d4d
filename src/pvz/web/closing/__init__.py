"""Closing a point: start, cancel, complete, and the history of closed points."""
