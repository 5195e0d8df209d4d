"""«Тревоги»: anomaly flags of the point and lifting temporary blocks."""
