"""Toonify's web service: Litestar app, Piccolo tables, the process pool and the pages."""

import pathlib
import sys

# Piccolo finds its configuration as the top-level module `piccolo_conf` (the project root's
# piccolo_conf.py). A console script does not put the project root on sys.path, so add it:
# the checkout (editable install) or the working directory (the Docker image's /app).
for _root in (pathlib.Path(__file__).resolve().parent.parent, pathlib.Path.cwd()):
    if (_root / "piccolo_conf.py").exists():
        if str(_root) not in sys.path:
            sys.path.insert(0, str(_root))
        break
