#!/usr/bin/env bash
# Spark GPU discovery script: prints the GPUs this executor may use, as Spark's resource JSON.
# Honours CUDA_VISIBLE_DEVICES when the cluster manager sets it.
set -euo pipefail
if [[ -n "${CUDA_VISIBLE_DEVICES:-}" ]]; then
  ids=$(echo "$CUDA_VISIBLE_DEVICES" | tr ',' '\n')
elif command -v nvidia-smi >/dev/null 2>&1; then
  ids=$(nvidia-smi --query-gpu=index --format=csv,noheader)
else
  ids=""
fi
addresses=$(echo "$ids" | sed '/^\s*$/d' | sed 's/.*/"&"/' | paste -sd, -)
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
