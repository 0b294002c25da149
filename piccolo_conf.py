"""Piccolo's configuration: the engine and the apps holding tables and migrations."""

from piccolo.conf.apps import AppRegistry

from app.lib.db import make_engine

DB = make_engine()

APP_REGISTRY = AppRegistry(
    apps=[
        "app.auth.piccolo_app",
        "app.jobs.piccolo_app",
        "app.payments.piccolo_app",
        "app.tokens.piccolo_app",
        "app.presets.piccolo_app",
        "app.shares.piccolo_app",
        "app.batches.piccolo_app",
    ]
)
