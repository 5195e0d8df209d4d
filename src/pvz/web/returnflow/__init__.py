"""«Возвратный поток»: what leaves the point and why."""
