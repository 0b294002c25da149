"""Personal API tokens: long-lived, scoped ("read" or "write"), stored as sha256 digests."""
