import os

from piccolo.conf.apps import AppConfig

from .tables import Batch

APP_CONFIG = AppConfig(
    app_name="batches",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Batch],
)
