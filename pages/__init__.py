"""The app's pages (UI only; every computation is in ``geo/``). ``common`` holds what they share."""
