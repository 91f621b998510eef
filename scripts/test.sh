#!/usr/bin/env bash
# Runs berth's whole test suite (mocha over dist/test) and ends with the plain
# line "N passed, M failed" (mocha's counts; skipped tests, each of which printed
# its reason, are counted on the line before it).
# Needs the setup (scripts/setup.sh --no-run) to have run: dist/ and native/build/.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ ! -f dist/core/index.js ] || [ ! -d native/build/Release ]; then
  echo "test.sh: berth is not built; run: bash scripts/setup.sh --no-run" >&2
  exit 2
fi
# Rebuild the TypeScript (and the precompiled schema validators) so the tests run what is in the tree.
npm run --silent build:ts || { echo "0 passed, 1 failed"; exit 1; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
npx mocha --reporter spec 'dist/test/**/*.test.js' 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
passed=$(grep -Eo '^ +[0-9]+ passing' "$out" | grep -Eo '[0-9]+' | tail -1)
failed=$(grep -Eo '^ +[0-9]+ failing' "$out" | grep -Eo '[0-9]+' | tail -1)
pending=$(grep -Eo '^ +[0-9]+ pending' "$out" | grep -Eo '[0-9]+' | tail -1)
passed=${passed:-0}; failed=${failed:-0}
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo
[ -n "${pending:-}" ] && echo "$pending skipped (each printed its reason above)"
echo "$passed passed, $failed failed"
exit "$rc"
