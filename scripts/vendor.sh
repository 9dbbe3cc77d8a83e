#!/usr/bin/env bash
# Refresh the pinned front-end assets in static/vendor/ from the npm registry (no CDN at
# run time: the app works offline). Each package's licence is copied beside its files, and
# static/vendor/VERSIONS records what is there. Run from the repository root.
# axe-core is for the browser tests only (tests/browser/test_page_a11y.py injects it): the
# page never loads it. Pretendard is the page's Korean font: its dynamic-subset CSS splits
# the variable font into ~90 woff2 files by unicode-range, so a page downloads only the
# subsets holding the characters it shows (see hangul_only below).
set -euo pipefail

# name@version:files[:licence] (paths inside the package; a directory is copied whole;
# the licence file is LICENSE unless named)
PACKAGES=(
  "d3@7.9.2:dist/d3.min.js"
  "katex@0.19.1:dist/katex.min.js dist/katex.min.css dist/fonts"
  "swagger-ui-dist@5.35.0:swagger-ui-bundle.js swagger-ui.css"
  "pretendard@1.3.9:dist/web/variable/pretendardvariable-dynamic-subset.css dist/web/variable/woff2-dynamic-subset:dist/LICENSE.txt"
  "axe-core@4.14.1:axe.min.js"
)

# Pretendard's unicode-ranges cut down to Hangul, and the subsets left with none dropped:
# style.css puts the font first so that Chromium draws Hangul with it even when it has laid
# the text out before the subset arrived (as a fallback after a system font, Chromium keeps
# boxes for such text), while Latin, digits and symbols skip it and stay with system fonts.
hangul_only() {
  python3 - "$1" <<'PY'
import pathlib, re, sys
root = pathlib.Path(sys.argv[1])
css = root / "pretendardvariable-dynamic-subset.css"
HANGUL = [(0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF)]
def keep(block):
    ranges = re.search(r"unicode-range: ([^;]*);", block).group(1)
    kept = []
    for lo, hi in re.findall(r"U\+([0-9a-fA-F]+)(?:-([0-9a-fA-F]+))?", ranges):
        a, b = int(lo, 16), int(hi or lo, 16)
        kept += [(max(a, x), min(b, y)) for x, y in HANGUL if max(a, x) <= min(b, y)]
    if not kept:
        (root / re.search(r"url\(\./([^)]*)\)", block).group(1)).unlink()
        return ""
    text = ", ".join(f"U+{a:x}" if a == b else f"U+{a:x}-{b:x}" for a, b in kept)
    return block.replace(ranges, text)
faces = re.compile(r"(?:/\* \[\d+\] \*/\s*)?@font-face \{[^}]*\}\s*")
text = faces.sub(lambda m: keep(m.group(0)), css.read_text())
css.write_text("/* unicode-range cut to Hangul by scripts/vendor.sh */\n" + text)
PY
}

out=static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > "$out/VERSIONS"
for entry in "${PACKAGES[@]}"; do
  IFS=: read -r spec files licence <<< "$entry"
  name=${spec%@*}
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  mkdir -p "$tmp/$name"
  tar -xzf "$tmp"/"${name//\//-}"-*.tgz -C "$tmp/$name"
  rm -rf "${out:?}/$name" && mkdir -p "$out/$name"
  for f in $files "${licence:-LICENSE}"; do
    cp -r "$tmp/$name/package/$f" "$out/$name/"
  done
  if [ "$name" = pretendard ]; then hangul_only "$out/$name"; fi
  echo "$spec" >> "$out/VERSIONS"
done
echo "vendored: $(tr '\n' ' ' < "$out/VERSIONS")"
