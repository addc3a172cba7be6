"""Reports: audit.json is canonical; HTML and terminal views are rendered from it."""
