"""What a scan at a point refers to. Not a Django app: it only reads other apps' models through one
selector, so every scan input (header box, search page, later the handheld) resolves the same way."""
