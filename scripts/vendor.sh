#!/usr/bin/env bash
# Refresh the pinned front-end assets in static/vendor/ from the npm registry (no CDN at
# run time: the app works offline). Each package's licence is copied beside its files, and
# static/vendor/VERSIONS records what is there. Run from the repository root.
set -euo pipefail

# name@version:files (paths inside the package; a directory is copied whole)
PACKAGES=(
  "d3@7.9.2:dist/d3.min.js"
  "d3-dag@1.2.2:dist/d3-dag.esm.min.mjs"
  "katex@0.19.1:dist/katex.min.js dist/katex.min.css dist/fonts"
  "swagger-ui-dist@5.35.0:swagger-ui-bundle.js swagger-ui.css"
)

out=static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > "$out/VERSIONS"
for entry in "${PACKAGES[@]}"; do
  spec=${entry%%:*}
  files=${entry#*:}
  name=${spec%@*}
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  mkdir -p "$tmp/$name"
  tar -xzf "$tmp"/"${name//\//-}"-*.tgz -C "$tmp/$name"
  rm -rf "${out:?}/$name" && mkdir -p "$out/$name"
  for f in $files LICENSE; do
    cp -r "$tmp/$name/package/$f" "$out/$name/"
  done
  echo "$spec" >> "$out/VERSIONS"
done
echo "vendored: $(tr '\n' ' ' < "$out/VERSIONS")"
