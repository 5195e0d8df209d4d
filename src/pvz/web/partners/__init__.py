"""«Партнёры»: a partner's settings, API keys and webhooks."""
