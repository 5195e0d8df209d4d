"""The caller's own account: password sign-in, password change and reset, the security page."""
