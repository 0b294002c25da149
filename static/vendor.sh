#!/usr/bin/env bash
# Refresh static/vendor/ from npm (run by hand when upgrading; the files are committed).
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-save --no-package-lock --silent
cp node_modules/htmx.org/dist/htmx.min.js vendor/htmx.min.js
cp node_modules/chart.js/dist/chart.umd.min.js vendor/chart.umd.min.js
cp node_modules/redoc/bundles/redoc.standalone.js vendor/redoc.standalone.js
rm -rf node_modules
echo "vendored: $(ls vendor)"
