"""Toonify's web service: Litestar app, Piccolo tables, the process pool and the pages."""

import pathlib
import sys


def _project_root() -> pathlib.Path:
    """The folder holding piccolo_conf.py, templates/ and static/: the checkout (editable
    install) or the working directory (the Docker image's /app)."""
    for root in (pathlib.Path(__file__).resolve().parent.parent, pathlib.Path.cwd()):
        if (root / "piccolo_conf.py").exists():
            return root
    return pathlib.Path.cwd()


ROOT = _project_root()
# Piccolo finds its configuration as the top-level module `piccolo_conf`; a console script
# does not put the project root on sys.path, so add it.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
