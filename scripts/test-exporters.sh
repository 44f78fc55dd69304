#!/usr/bin/env bash
# Regenerates data/models/layers (tools/make_layer_fixtures.py through tools/export_pyg.py) into a
# temporary folder and checks it is byte-identical to the committed fixtures.
#
#   bash scripts/test-exporters.sh            # uses $PYTHON, else .venv/bin/python, else python3
#
# A venv with what it needs: python3 -m venv .venv && .venv/bin/pip install torch torch-geometric safetensors
#
# Skips (exit 0, with the reason) when torch / torch_geometric / safetensors are not importable.
# Differences are expected only with other torch / torch_geometric versions than the ones named in
# data/models/layers/cases.json; regenerate and review then.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="${PYTHON:-}"
if [ -z "$py" ]; then
  if [ -x "$root/.venv/bin/python" ]; then py="$root/.venv/bin/python"; else py=python3; fi
fi
if ! "$py" -c 'import torch, torch_geometric, safetensors' 2>/dev/null; then
  echo "test-exporters: SKIPPED: $py cannot import torch, torch_geometric and safetensors (set PYTHON to a venv that has them)"
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$py" "$root/tools/make_layer_fixtures.py" "$tmp/layers" >/dev/null
cp "$root/data/models/layers/README.md" "$tmp/layers/README.md"
want="$("$py" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["versions"], sort_keys=True))' "$root/data/models/layers/cases.json")"
got="$("$py" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["versions"], sort_keys=True))' "$tmp/layers/cases.json")"
if diff -r "$root/data/models/layers" "$tmp/layers" >"$tmp/diff.txt"; then
  echo "test-exporters: OK: regenerated fixtures are identical ($got)"
  exit 0
fi
echo "test-exporters: FAILED: regenerated fixtures differ from data/models/layers"
[ "$want" = "$got" ] || echo "  (versions differ: committed $want, here $got)"
head -n 40 "$tmp/diff.txt"
exit 1
