"""The dashboard and the pages of sections not built yet."""
