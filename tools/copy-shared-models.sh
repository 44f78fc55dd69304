#!/usr/bin/env bash
# Copies the PyG-trained reference models from ../shared/models into data/models (compactly: the
# model files as they are, the reference logits gzip-compressed, one copy of each distinct input).
# Run from the repository root; the tests and the demo read only data/models afterwards.
set -euo pipefail
src=${1:-../shared/models}
dst=data/models
mkdir -p "$dst/inputs"
for m in gcn_cora gat_cora sage_cora gin_cora gcn_citeseer; do
  mkdir -p "$dst/$m"
  cp "$src/$m/model.json" "$src/$m/model.safetensors" "$dst/$m/"
  gzip -9 -n -c "$src/$m/logits.f32" > "$dst/$m/logits.f32.gz"
  case $m in gcn_cora|gat_cora) gzip -9 -n -c "$src/$m/conv1_out.f32" > "$dst/$m/conv1_out.f32.gz" ;; esac
  chmod 644 "$dst/$m/"*
done
cp "$src/gcn_cora/input_x.f32.gz" "$dst/inputs/cora_normalized.f32.gz"
cp "$src/gcn_citeseer/input_x.f32.gz" "$dst/inputs/citeseer_normalized.f32.gz"
cp "$src/gin_cora/input_x.f32.gz" "$dst/inputs/cora_raw.f32.gz"
cp "$src/README.md" "$dst/SOURCE-README.md"
chmod 644 "$dst/inputs/"* "$dst/SOURCE-README.md"
