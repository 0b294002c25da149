import os

from piccolo.conf.apps import AppConfig

from .tables import Preset

APP_CONFIG = AppConfig(
    app_name="presets",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Preset],
)
