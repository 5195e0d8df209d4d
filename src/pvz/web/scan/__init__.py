"""The header scan box: one code, routed to what it names."""
