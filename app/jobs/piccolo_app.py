import os

from piccolo.conf.apps import AppConfig

from .tables import ImageJob

APP_CONFIG = AppConfig(
    app_name="jobs",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[ImageJob],
)
