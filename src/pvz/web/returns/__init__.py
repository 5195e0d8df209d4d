"""«Возвраты»: a customer returns a parcel at the counter."""
