"""One module per WebDAV method: pure functions of (context, resource, body) → response."""
