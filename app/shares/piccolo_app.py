import os

from piccolo.conf.apps import AppConfig

from .tables import Share

APP_CONFIG = AppConfig(
    app_name="shares",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Share],
)
