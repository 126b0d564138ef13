"""Principal resources, their live properties and the principal reports (RFC 3744,
RFC 5397, RFC 4791 §6, RFC 6352 §7, RFC 6638 §2)."""
