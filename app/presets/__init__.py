"""Presets: named parameter sets per style, built-in (derived from the style specs) and a person's own."""
