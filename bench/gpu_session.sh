#!/usr/bin/env bash
# Every GPU check of fnlearn in one go, for a machine with an NVIDIA GPU where CuPy (and, for the peers,
# PyTorch) are already installed; it needs no network. Results and logs go to one folder:
#
#   bash bench/gpu_session.sh RESULTS_FOLDER [bench] [suite] [tests] [pieces]  (none named: bench suite)
#
#   bench  python -m bench.gpu, side by side with PyTorch eager and CUDA graphs  -> gpu.json, gpu.md, *.dot
#   suite  the whole test suite with every test on CuPy (FNLEARN_TEST_BACKEND), tests/gpu included, skips
#          listed with their reasons; on parallel workers where pytest-xdist is installed -> suite_cupy.log
#   tests  tests/gpu alone (a quicker rerun of the GPU-specific tests)               -> tests_gpu.log
#   pieces the CPU side: python -m bench.pieces, whether fnlearn's products cut into one piece per BLAS
#          thread still pay on this machine's many cores (measured on 2 only)   -> pieces.json, pieces.log
#
# The whole run keeps to FNLEARN_SESSION_SECONDS (default 360 s): each stage gets at most its own limit
# (FNLEARN_STAGE_SECONDS, default 240 s) and never more than what is left of the whole, so a slow stage
# cannot take the next one's time and the script always ends, with its summary, inside the budget. The last
# stage has no later one to keep time for: it gets all that is left.
# The measurement comes first by default, the suite after it, so that the suite's parallel workers cannot
# disturb the timings.
#
# With FNLEARN_WHEELS=FOLDER, the wheels in FOLDER (say Keras and what it needs, which a GPU image may lack: the
# suite's comparisons with Keras skip without it) are installed first, offline, into a folder of their own that
# goes on PYTHONPATH; nothing installed is touched.
#
# With FNLEARN_SESSION_ARCHIVE=FOLDER, everything is also packed after each stage into
# FOLDER/gpu-session.tar.gz, next to FOLDER/summary.txt and FOLDER/gpu.md: three files, for a place that
# takes back only a few.
set -u
out=${1:?usage: bash bench/gpu_session.sh RESULTS_FOLDER [bench] [suite] [tests] [pieces]}
shift
stages=${*:-bench suite}
session=${FNLEARN_SESSION_SECONDS:-360}
stage_cap=${FNLEARN_STAGE_SECONDS:-240}
archive=${FNLEARN_SESSION_ARCHIVE:-}
py=${PYTHON:-python3}
for stage in $stages; do
  case $stage in
    bench|suite|tests|pieces) ;;
    *) echo "unknown stage $stage: name bench, suite, tests or pieces (or none, for bench suite)"; exit 2 ;;
  esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
export PYTHONUNBUFFERED=1
summary="$out/summary.txt"
: >"$summary"

say() { echo "$*" | tee -a "$summary"; }

pack() {  # keep the archive current, so a stop at any point leaves every finished stage's results
  [ -n "$archive" ] || return 0
  mkdir -p "$archive"
  tar -czf "$archive/.gpu-session.tar.gz.part" --exclude=./.wheels-site -C "$out" . && mv "$archive/.gpu-session.tar.gz.part" "$archive/gpu-session.tar.gz"
  cp "$summary" "$archive/summary.txt"
  if [ -f "$out/gpu.md" ]; then cp "$out/gpu.md" "$archive/gpu.md"; fi
}

if [ -n "${FNLEARN_WHEELS:-}" ]; then
  extra="$out/.wheels-site"
  if "$py" -m pip install -q --no-index --no-deps --no-compile --target "$extra" "$FNLEARN_WHEELS"/*.whl \
      >"$out/wheels.log" 2>&1; then
    export PYTHONPATH="$extra${PYTHONPATH:+:$PYTHONPATH}"
    say "wheels from $FNLEARN_WHEELS installed (wheels.log)"
  else
    say "the wheels in $FNLEARN_WHEELS did not install (wheels.log); going on without them"
  fi
fi

# fnlearn itself, unless this checkout's already imports; without touching the installed packages
# (no dependencies, no build isolation: offline)
if "$py" -c "import sys, pathlib, fnlearn; \
sys.exit(not pathlib.Path(fnlearn.__file__).resolve().is_relative_to(pathlib.Path('src').resolve()))" 2>/dev/null; then
  echo "fnlearn already imports from this checkout" >"$out/install.log"
elif ! "$py" -m pip install -q --no-deps --no-build-isolation -e . >"$out/install.log" 2>&1; then
  export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
  say "pip install failed (install.log); importing fnlearn from src/ instead"
fi
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  "$py" -c "import sys, numpy, cupy, fnlearn as fl; fl.set_backend('cupy'); \
print('python', sys.version.split()[0], '| numpy', numpy.__version__, '| cupy', cupy.__version__, \
'| fnlearn', fl.__version__, '| device', cupy.cuda.runtime.getDeviceProperties(0)['name'].decode())"
} 2>&1 | tee "$out/device.txt" | tee -a "$summary"

# pytest's options for the suite: parallel workers and a per-test limit, where the plugins are installed
suite_opts=(-p no:cacheprovider -rfEs)
if "$py" -c "import xdist" 2>/dev/null; then
  workers=$(( $(nproc) / 2 ))
  [ "$workers" -gt 8 ] && workers=8
  [ "$workers" -ge 2 ] && suite_opts+=(-n "$workers")
fi
if "$py" -c "import pytest_timeout" 2>/dev/null; then suite_opts+=(--timeout 120); fi

last_stage=${stages##* }
run_stage() {  # name, log file, command...
  local name=$1 log=$2
  shift 2
  local left=$(( session - SECONDS - 5 ))
  local limit=$(( left < stage_cap ? left : stage_cap ))
  if [ "$stage" = "$last_stage" ]; then limit=$left; fi
  if [ "$left" -lt 20 ]; then
    say "== $name: not run, only $left s of the session's $session s left"
    return
  fi
  local start=$SECONDS
  timeout "$limit" "$@" >"$out/$log" 2>&1
  local rc=$?
  say "== $name: exit $rc after $((SECONDS - start)) s, limit $limit s ($log)"
  # pytest's summary line ("N passed, M skipped in T s") if the stage has one, else the log's end
  { grep -E '^(=+ )?[0-9]+ (passed|failed|error)' "$out/$log" | tail -n 1 | grep . || tail -n 3 "$out/$log"; } \
    | tee -a "$summary"
  pack
}

for stage in $stages; do
  case $stage in
    bench) run_stage "bench.gpu" bench_gpu.log "$py" -m bench.gpu --json "$out/gpu.json" --markdown "$out/gpu.md" ;;
    suite) run_stage "suite on CuPy" suite_cupy.log env FNLEARN_TEST_BACKEND=cupy \
             "$py" -m pytest "${suite_opts[@]}" ;;
    tests) run_stage "tests/gpu" tests_gpu.log "$py" -m pytest tests/gpu "${suite_opts[@]}" ;;
    pieces) run_stage "bench.pieces" pieces.log "$py" -m bench.pieces --rounds 5 --json "$out/pieces.json" ;;
  esac
done
say "== done after $SECONDS s of the session's $session s"
pack
