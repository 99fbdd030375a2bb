"""The skxray command line: demo, train, evaluate, predict and explain.

``main`` is the entry point. This module and ``_cli_parser.py`` import only the standard
library, so that ``skxray --help`` and ``skxray --version`` start at once. The commands
(``_cli_commands.py``, ``_cli_explain.py``, with the helpers of ``_cli_io.py``) import
TensorFlow, Keras and scikit-learn when they run.
"""

import contextlib
import logging
import os
import sys
import warnings

from ._parser import _Exit, _UsageError, build_parser


@contextlib.contextmanager
def _quiet_libraries(verbose):
    """Keep TensorFlow's, absl's and Keras' log lines and warnings off the terminal."""
    if verbose:
        yield
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # before TensorFlow is imported
    loggers = [logging.getLogger(name) for name in ("tensorflow", "absl", "keras")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"(tensorflow|absl|keras|scikeras)(\.|$)")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


_KERAS_WHEN_NEEDED = ("models", "predict", "explain", "evaluate", "calibrate")
"""Commands that load Keras only once their inputs are checked (``models``: never)."""


def _run(args):
    from . import _commands as _cli_commands
    from ._inputs_outputs import ensure_keras

    if args.command not in _KERAS_WHEN_NEEDED:
        ensure_keras(args)

    if args.command == "explain":
        from ._explain import explain

        return explain(args)
    return getattr(_cli_commands, args.command)(args)


def main(argv=None):
    """Run the ``skxray`` command; return its exit status (0, or 2 after an error)."""
    try:
        args = build_parser().parse_args(argv)
    except _Exit as done:
        return done.status
    except _UsageError as exc:
        print(f"skxray: error: {exc}", file=sys.stderr)
        return 2
    try:
        _check_paths(args)  # before TensorFlow loads: a wrong path fails at once
        with _quiet_libraries(args.verbose):
            return _run(args)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("skxray: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from ._inputs_outputs import CommandError, one_line

        if args.debug or not isinstance(exc, (CommandError, ValueError, TypeError, OSError)):
            raise
        sys.stdout.flush()
        print(f"skxray: error: {one_line(exc)}", file=sys.stderr)
        _remove_empty_created_folders()
        return 2


def _check_paths(args):
    """Refuse input paths that do not exist, naming them, before anything heavy is imported."""
    from ._inputs_outputs import _MODEL_SUFFIXES, CommandError, missing_path_message

    for name in ("inputs", "images"):
        paths = list(getattr(args, name, None) or [])
        if paths and os.path.splitext(paths[0])[1].lower() in _MODEL_SUFFIXES:
            paths = paths[1:]  # a model file given first: its own error names it
        for path in paths:
            if not os.path.exists(path):
                raise CommandError(missing_path_message(path))
    data_dir = getattr(args, "data_dir", None)
    if data_dir and not os.path.exists(data_dir):
        raise CommandError(f"data folder {data_dir} does not exist")


def _remove_empty_created_folders():
    """A failed command leaves no empty output folder behind."""
    from ._inputs_outputs import CREATED_FOLDERS

    for folder in reversed(CREATED_FOLDERS):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty
    CREATED_FOLDERS.clear()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
