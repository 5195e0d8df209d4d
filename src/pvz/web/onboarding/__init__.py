"""Opening applications: the public form and the platform admins' review."""
