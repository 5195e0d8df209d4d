"""Second factors of the caller and the point's second-factor policy."""
