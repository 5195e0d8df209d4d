"""«Поиск» and the shipment card."""
