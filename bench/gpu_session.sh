#!/usr/bin/env bash
# Every GPU check of fnlearn in one go, for a machine with an NVIDIA GPU where CuPy (and, for the peers,
# PyTorch) are already installed; it needs no network. Results and logs go to one folder:
#
#   bash bench/gpu_session.sh RESULTS_FOLDER [tests] [suite] [bench] [pieces]  (none named: the first three)
#
#   tests  the backend-parameterised tests/gpu, skips listed with their reasons   -> tests_gpu.log
#   suite  the whole test suite with every test on CuPy (FNLEARN_TEST_BACKEND)   -> suite_cupy.log
#   bench  python -m bench.gpu, side by side with PyTorch eager and CUDA graphs  -> gpu.json, gpu.md
#   pieces the CPU side: python -m bench.pieces, whether fnlearn's products cut into one piece per BLAS
#          thread still pay on this machine's many cores (measured on 2 only)   -> pieces.json, pieces.log
#
# Each stage has its own time limit (FNLEARN_STAGE_SECONDS, default 280 s), so one slow stage cannot
# take the others' time; the last lines of each log are printed at the end.
set -u
out=${1:?usage: bash bench/gpu_session.sh RESULTS_FOLDER [tests] [suite] [bench] [pieces]}
shift
stages=${*:-tests suite bench}
limit=${FNLEARN_STAGE_SECONDS:-280}
py=${PYTHON:-python3}
mkdir -p "$out"
export PYTHONUNBUFFERED=1

# fnlearn itself, without touching the installed packages (no dependencies, no build isolation: offline)
if ! "$py" -m pip install -q --no-deps --no-build-isolation -e . >"$out/install.log" 2>&1; then
  export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
  echo "pip install failed (install.log); importing fnlearn from src/ instead" | tee -a "$out/install.log"
fi
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1
  "$py" -c "import sys, numpy, cupy, fnlearn as fl; fl.set_backend('cupy'); \
print('python', sys.version.split()[0], '| numpy', numpy.__version__, '| cupy', cupy.__version__, \
'| fnlearn', fl.__version__, '| device', cupy.cuda.runtime.getDeviceProperties(0)['name'].decode())" 2>&1
} | tee "$out/device.txt"

run_stage() {  # name, log file, command...
  local name=$1 log=$2
  shift 2
  local start=$SECONDS
  timeout "$limit" "$@" >"$out/$log" 2>&1
  local rc=$?
  echo "== $name: exit $rc after $((SECONDS - start)) s ($log)"
  # pytest's summary line ("N passed, M skipped in T s") if the stage has one, else the log's end
  grep -E '^(=+ )?[0-9]+ (passed|failed|error)' "$out/$log" | tail -n 1 | grep . || tail -n 3 "$out/$log"
}

for stage in $stages; do
  case $stage in
    tests) run_stage "tests/gpu" tests_gpu.log "$py" -m pytest tests/gpu -rs -p no:cacheprovider ;;
    suite) run_stage "suite on CuPy" suite_cupy.log env FNLEARN_TEST_BACKEND=cupy \
             "$py" -m pytest -p no:cacheprovider ;;
    bench) run_stage "bench.gpu" bench_gpu.log "$py" -m bench.gpu --json "$out/gpu.json" --markdown "$out/gpu.md" ;;
    pieces) run_stage "bench.pieces" pieces.log "$py" -m bench.pieces --rounds 5 --json "$out/pieces.json" ;;
    *) echo "unknown stage $stage (tests, suite, bench, pieces)"; exit 2 ;;
  esac
done
