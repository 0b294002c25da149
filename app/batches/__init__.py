"""Batches: many photos, one style, each photo a normal job."""
