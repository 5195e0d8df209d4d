"""«Приёмка»: planned carriages, arrival, and the acceptance scanner screen."""
