"""«Размещение»: the scanner screen that puts parcels into cells."""
