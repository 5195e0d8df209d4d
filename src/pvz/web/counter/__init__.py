"""«Выдача»: issuing parcels to a customer at the counter, one session per customer."""
