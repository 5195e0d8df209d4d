"""Staff notifications: the bell, the list and the preferences."""
