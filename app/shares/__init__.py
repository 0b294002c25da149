"""Share links: a public, revocable, optionally expiring page for one finished picture."""
