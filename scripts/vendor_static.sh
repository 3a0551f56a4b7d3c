#!/usr/bin/env bash
# Copy the pinned front-end libraries from node_modules into the git-ignored
# static folder that Django serves. Run after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=voronka/static/vendor
rm -rf "$dest"
mkdir -p "$dest/bootstrap" "$dest/bootstrap-icons/fonts"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/"
cp node_modules/sortablejs/Sortable.min.js "$dest/"
cp node_modules/echarts/dist/echarts.min.js "$dest/"
cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map "$dest/bootstrap/"
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map "$dest/bootstrap/"
cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css "$dest/bootstrap-icons/"
cp node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff2 node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff "$dest/bootstrap-icons/fonts/"
