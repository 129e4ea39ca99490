#!/usr/bin/env bash
# Spark GPU discovery script: prints the GPUs this executor may use, as Spark's resource JSON.
# Honours CUDA_VISIBLE_DEVICES when the cluster manager sets it: the addresses are then the ids listed
# there, and the job maps each to its in-process ordinal (its position in that list; DeviceSpec.forGpuAddress).
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
