"""The ``fnlearn`` command: the lecture's experiments, the glass box and the benchmarks.

    fnlearn demo                         # = fnlearn run views: tomorrow's views, linear vs ReLU
    fnlearn run views|mnist|xor|students|classifier [--seed N] [--out DIR] [--full | --quick]
    fnlearn explain ...                  # figures of the learned function (fnlearn.explain)
    fnlearn bench [args]                 # the benchmark harness of a source checkout
    fnlearn --version

A wrong argument or unusable input ends with one sentence on stderr and exit code 2.

Example:
    >>> main(["--version"])  # doctest: +ELLIPSIS
    fnlearn ...
    0
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

USAGE_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line: what was wrong, and where to read more."""

    def error(self, message: str) -> NoReturn:
        message = message.rstrip(".")
        self.exit(USAGE_ERROR, f"{self.prog}: {message}; see '{self.prog} --help'.\n")


def _add_experiment(subparsers: Any, name: str, module: Any, help_text: str) -> None:
    from fnlearn.experiments import common

    # argparse %-formats help texts, so a literal "50 %" must be written "50 %%"
    p = subparsers.add_parser(name, help=help_text.replace("%", "%%"),
                              description=help_text[:1].upper() + help_text[1:] + ".")
    common.add_common_arguments(p, getattr(module, "FULL_HELP", common.FULL_HELP))
    module.add_arguments(p)
    p.set_defaults(_handler=module.main, _leaf=p)


def _explain_cli() -> Any:
    """``fnlearn.explain.cli`` when it is installed, else None."""
    import importlib

    try:
        explain_cli = importlib.import_module("fnlearn.explain.cli")
    except ModuleNotFoundError as exc:
        if exc.name in ("fnlearn.explain", "fnlearn.explain.cli"):
            return None
        raise  # a bug inside an installed explain package must not look like "not installed"
    if not (hasattr(explain_cli, "add_subparser") and hasattr(explain_cli, "run")):
        return None
    return explain_cli


def build_parser() -> argparse.ArgumentParser:
    """The ``fnlearn`` argument parser with every command."""
    import fnlearn
    from fnlearn import experiments

    parser = _Parser(prog="fnlearn", description="fnlearn, the function learning machine: rerun the lecture's "
                     "experiments, look inside the learned function, benchmark it.")
    parser.add_argument("--version", action="version", version=f"fnlearn {fnlearn.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    views = experiments.load("views")
    _add_experiment(sub, "demo", views, "the main demo, same as 'fnlearn run views': " + views.HELP)

    run = sub.add_parser("run", help="run one of the lecture's experiments",
                         description="Run one of the lecture's experiments; each writes results.json and "
                                     "figures to runs/<name>-<timestamp>/ (or --out).")
    run_sub = run.add_subparsers(dest="experiment", metavar="EXPERIMENT", parser_class=_Parser)
    run.set_defaults(_parser=run)
    for name in experiments.EXPERIMENTS:
        module = experiments.load(name)
        _add_experiment(run_sub, name, module, module.HELP)

    explain_cli = _explain_cli()
    if explain_cli is not None:
        explain_cli.add_subparser(sub)
        # their parser decides its own handler; ours only routes to their run()
        sub.choices["explain"].set_defaults(_explain=explain_cli.run)
    else:
        p = sub.add_parser("explain", help="figures of the learned function (not available in this install)")
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(_handler=_explain_missing)

    bench = sub.add_parser("bench", help="run the benchmark harness (python -m bench) of a source checkout",
                           add_help=False)
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    bench.set_defaults(_handler=lambda args: run_bench(args.rest))
    return parser


def _unrecognized(leaf: argparse.ArgumentParser, extra: list[str]) -> NoReturn:
    """Arguments a command does not take: named by that command, with the nearest option it has."""
    from fnlearn.errors import did_you_mean

    options = [o for action in leaf._actions for o in action.option_strings if o.startswith("--")]
    first = next((e.split("=")[0] for e in extra if e.startswith("-")), None)
    near = did_you_mean(first, options).strip() if first else ""
    leaf.error(f"unrecognized arguments: {' '.join(extra)}" + (f" ({near})" if near else ""))


def _explain_missing(args: argparse.Namespace) -> int:
    print("fnlearn: 'fnlearn explain' is not available in this installation (the fnlearn.explain "
          "package is missing); reinstall fnlearn.", file=sys.stderr)
    return 1


def _is_checkout(folder: Path) -> bool:
    project = folder / "pyproject.toml"
    if not ((folder / "bench" / "__main__.py").is_file() and project.is_file()):
        return False
    try:
        return 'name = "fnlearn"' in project.read_text(encoding="utf-8")
    except OSError:
        return False


def source_root(cwd: Path | None = None) -> Path | None:
    """The fnlearn source checkout that has ``bench/``, or None: the one fnlearn runs from (an editable
    install), else the working folder or a folder above it (a checkout beside a regular install)."""
    import fnlearn

    here = Path.cwd() if cwd is None else cwd
    candidates = [Path(fnlearn.__file__).resolve().parents[2], here, *here.parents]
    return next((folder for folder in candidates if _is_checkout(folder)), None)


def run_bench(argv: list[str]) -> int:
    """``python -m bench ARGV`` in the source checkout, or one sentence saying to use a checkout."""
    root = source_root()
    if root is None:
        print("fnlearn: 'fnlearn bench' runs the benchmark harness that lives in the source repository, "
              "which neither this installation nor the working folder holds; clone the repository and run "
              "'python -m bench' (or 'fnlearn bench') inside it.", file=sys.stderr)
        return USAGE_ERROR
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    # run from the caller's folder, so paths given relative to it (--json out.json) land there; the harness
    # finds the checkout's own files (results, docs page) from its own location
    return subprocess.call([sys.executable, "-m", "bench", *argv], env=env)


def main(argv: list[str] | None = None) -> int:
    """Run the ``fnlearn`` command line; returns the exit code.

    Example:
        >>> main(["run", "students", "--rounds", "0"])  # doctest: +SKIP
        fnlearn run students: argument --rounds: expected a whole number of at least 1, got '0'; ...
        2
    """
    from fnlearn.errors import FnlearnError

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        return run_bench(argv[1:])  # every argument, --help included, belongs to the harness
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # said by the command they were given to, with its own help and a near option
            _unrecognized(getattr(args, "_leaf", parser), extra)
    except SystemExit as exc:  # --help, --version and usage errors end here
        return int(exc.code) if isinstance(exc.code, int) else (0 if exc.code is None else USAGE_ERROR)
    try:
        if getattr(args, "_explain", None) is not None:
            code = args._explain(args)
            return 0 if code is None else int(code)
        handler = getattr(args, "_handler", None)
        if handler is None:
            target = getattr(args, "_parser", parser)
            target.print_help(sys.stderr)
            return USAGE_ERROR
        from fnlearn.model import interrupt_ends_program

        with interrupt_ends_program():  # a run is one result: a model cut short must not be reported in it
            code = handler(args)
        return code if isinstance(code, int) else 0
    except FnlearnError as exc:
        print(f"fnlearn: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        from fnlearn.experiments.common import remove_empty_run_dirs

        remove_empty_run_dirs()
        print("fnlearn: interrupted before the run finished; anything it wrote so far is incomplete.",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
