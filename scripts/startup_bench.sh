#!/usr/bin/env bash
# Start-up of `ltr list`: the plugins as of an older commit (default bebc959, before torchvision was imported
# lazily) against the working tree's, alternated, N rounds (default 5). The older plugins are put first on
# PYTHONPATH from a git worktree; the core is the installed (working-tree) one in both.
#   bash scripts/startup_bench.sh [COMMIT] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
COMMIT=${1:-bebc959}
ROUNDS=${2:-5}
OLD=$(mktemp -d)
git worktree add -f -q "$OLD" "$COMMIT"
trap 'git worktree remove --force "$OLD"' EXIT
PATHS="$OLD/plugins/hcat:$OLD/plugins/atom:$OLD/plugins/ostrack"
echo "round  plugins@$COMMIT  plugins@working-tree  (seconds, ltr list)"
for i in $(seq "$ROUNDS"); do
  a=$( { /usr/bin/time -f "%e" env PYTHONPATH="$PATHS" python3 -m ltr_core list > /dev/null; } 2>&1 )
  b=$( { /usr/bin/time -f "%e" python3 -m ltr_core list > /dev/null; } 2>&1 )
  echo "$i      $a            $b"
done
