"""Toonify's web service: Litestar app, Piccolo tables, the process pool and the pages."""
