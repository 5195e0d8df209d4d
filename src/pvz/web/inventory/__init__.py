"""«Инвентаризация»: stock counts by scanning cells and parcels."""
