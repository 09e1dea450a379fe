"""The command tree, its options, and the shared error handling.

Built on the standard library's ``argparse`` on purpose: the command line (and so
``monozu db migrate`` on the embedded SQLite default) runs with nothing but
Python installed, and starts fast enough that an up-to-date ``info`` is mostly
the database's time. Commands register with a decorator::

    @db.command("check", url_option, json_option)
    def check(url: str | None, as_json: bool) -> None:
        \"\"\"First docstring line: the command's help.\"\"\"

Everything is printed through :func:`echo`, which escapes the characters a terminal
acts on (:func:`printable`), and JSON through :func:`echo_json`.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, NoReturn, TypeVar

from monozu.db.errors import ConfigError, MonozuError, UndefinedTable
from monozu.files import shorten
from monozu.text import printable

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Option:
    """One command-line option, passed to the command as the keyword ``dest``."""

    flags: tuple[str, ...]
    dest: str
    help: str = ""
    metavar: str | None = None
    flag: bool = False  # takes no value: True when given, else ``default``
    negatable: bool = False  # --x / --no-x
    multiple: bool = False  # repeatable: a list of values
    type: Callable[[str], Any] | None = None
    default: Any = None

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        kw: dict[str, Any] = {"dest": self.dest, "help": self.help or None}
        if self.negatable:
            kw.update(action=argparse.BooleanOptionalAction, default=self.default)
        elif self.flag:
            kw.update(action="store_const", const=True, default=self.default)
        elif self.multiple:
            kw.update(action="append", default=[], metavar=self.metavar)
        else:
            kw.update(metavar=self.metavar, default=self.default)
        if self.type is not None and not (self.flag or self.negatable):
            kw["type"] = self.type
        parser.add_argument(*self.flags, **kw)


def option(*flags: str, dest: str | None = None, **kw: Any) -> Option:
    name = dest or flags[-1].lstrip("-").replace("-", "_")
    return Option(flags=flags, dest=name, **kw)


@dataclass
class Group:
    """A command group (``monozu db``, ``monozu db rls``)."""

    name: str
    help: str = ""
    commands: dict[str, tuple[Callable[..., Any], tuple[Option, ...]]] = field(
        default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)

    def command(self, name: str, *options: Option) -> Callable[[F], F]:
        def register(fn: F) -> F:
            self.commands[name] = (fn, options)
            return fn
        return register

    def group(self, name: str, help: str = "") -> Group:
        sub = self.groups.get(name)
        if sub is None:
            sub = self.groups[name] = Group(name, help)
        return sub

    def build(self, parser: argparse.ArgumentParser) -> None:
        subs = parser.add_subparsers(title="commands", metavar="COMMAND")
        parser.set_defaults(_parser=parser)
        for name, (fn, options) in sorted(self.commands.items()):
            doc = (fn.__doc__ or "").strip()
            sub = subs.add_parser(name, help=doc.splitlines()[0] if doc else None,
                                  description=doc or None, allow_abbrev=False,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
            for opt in options:
                opt.add_to(sub)
            sub.set_defaults(_command=fn, _options=options)
        for name, group in sorted(self.groups.items()):
            sub = subs.add_parser(name, help=group.help.splitlines()[0] if group.help else None,
                                  description=group.help or None, allow_abbrev=False,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
            group.build(sub)


root = Group("monozu", "Monozu Cloud database tools.")
db = root.group("db", "Database: check the connection, migrate, inspect the schema.")

url_option = option("--url", metavar="URL",
                    help="Database URL (scheme://... or jdbc:...); overrides Flyway's settings, "
                         "DATABASE_URL, SQL_SERVER and the embedded default.")
json_option = option("--json", dest="as_json", flag=True, default=False,
                     help="Print JSON instead of a table.")
path_type = Path


class OutputClosed(Exception):
    """Whoever read the output has gone (``monozu db info | head -1``), or standard
    error cannot be written: nothing is said, the exit status tells."""


class OutputFailed(Exception):
    """Standard output cannot be written: a full disk (``>/dev/full``), an I/O error,
    or the stream closed (``>&-``). Reported in one line on standard error, exit 1:
    unlike a reader that stopped early, no one chose to lose the output."""


def _output_error(exc: OSError | None, err: bool) -> OutputClosed | OutputFailed:
    """What a failed write (``exc``; None: Python has no stream at all) to standard
    output, or with ``err`` standard error, means."""
    if err or (exc is not None and exc.errno == errno.EPIPE):
        return OutputClosed()
    if exc is None or exc.errno == errno.EBADF:
        return OutputFailed("standard output is closed")
    return OutputFailed(exc.strerror or type(exc).__name__)


def _report_output_failed(failure: OutputFailed) -> None:
    """One line on standard error; what is still buffered for standard output goes
    nowhere instead of failing again when the process ends."""
    if sys.stdout is not None:
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    with contextlib.suppress(OutputClosed, OSError):
        echo(f"Error: cannot write to standard output: {failure}", err=True)


def echo(text: str = "", *, err: bool = False, nl: bool = True, lines: bool = False,
         redraw: bool = False) -> None:
    """Write ``text`` as one line (every control character escaped, newlines too), or
    with ``lines`` as lines the caller composed (each line escaped on its own). With
    ``redraw`` the line overwrites the current one (a progress counter): the carriage
    return is the only control character written as it is."""
    from monozu.db import known_secrets

    stream = sys.stderr if err else sys.stdout
    if stream is None:  # Python's stand-in for a standard stream closed at start
        raise _output_error(None, err)
    # Every line printed, whoever composed it (a fail() of the command line's own, a
    # table): a secret given again as another value is not shown there either.
    text = known_secrets.mask(text)
    text = "\n".join(map(printable, text.split("\n"))) if lines else printable(text)
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
    if encoding not in ("utf-8", "utf8"):
        # A terminal in another encoding (latin-1, ASCII): a name it cannot show is
        # escaped (\u65e5) like a control character, instead of ending the command.
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    try:
        stream.write(("\r" if redraw else "") + text + ("\n" if nl else ""))
    except OSError as exc:
        raise _output_error(exc, err) from None


def json_text(data: object, *, indent: int | None = None) -> str:
    """``data`` as JSON with every non-ASCII and control character escaped (DEL too,
    which ``json`` leaves as it is), so printing it cannot act on a terminal."""
    import json

    return json.dumps(data, indent=indent, default=str).replace("\x7f", "\\u007f")


def echo_json(data: object, *, indent: int | None = 2) -> None:
    echo(json_text(data, indent=indent), lines=True)


def fail(message: str, code: int = EXIT_FAILED) -> None:
    with contextlib.suppress(OutputClosed, OSError):  # no one to tell; the status says it
        echo(f"Error: {message}", err=True)
    sys.exit(code)


_LONG_WORD = 200


def one_line(text: str) -> str:
    """``text`` on one line, with anything that looks like a secret masked and any word
    longer than 200 characters (a path or value fed back) shortened."""
    from monozu.db import known_secrets
    from monozu.db.dialects.urls import redact_words

    words = known_secrets.mask(redact_words(" ".join(str(text).split()))).split(" ")
    return " ".join(shorten(w, _LONG_WORD) for w in words)


def handle_errors(fn: F) -> F:
    """Turn library errors into one line on stderr and an exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            fail(one_line(str(exc)) or type(exc).__name__, EXIT_USAGE)
        except UndefinedTable as exc:  # the commands' own SQL: the schema is behind
            fail(f"{one_line(str(exc))}: the database is not migrated as far as this "
                 "command needs (run monozu db migrate)", EXIT_FAILED)
        except MonozuError as exc:
            fail(one_line(str(exc)) or type(exc).__name__, EXIT_FAILED)
        except KeyboardInterrupt:
            interrupted()
        return None

    return wrapper  # type: ignore[return-value]


# An option whose value may hold a secret: --url, --api-url, -password, -user,
# --placeholder, -placeholders.dbPassword=, -jdbcProperties.password=... A word of
# the name is enough, so a misspelt or cut option (--ur, -passwd) counts too.
_SECRET_OPTION = re.compile(r"url|uri|dsn|pass|pwd|user|token|key|secret|auth|credential"
                            r"|placeholder", re.IGNORECASE)
# The options that carry a secret: a name they begin with (--u, --api-u, -p) counts.
_SECRET_OPTIONS = ("url", "api-url", "password", "user", "placeholder", "placeholders.")


def carries_secret(arguments: Sequence[str]) -> bool:
    """Whether a command line may hold a secret: an option whose name says so or begins
    one that does (however spelt), or an argument that looks like a URL with a login
    (``://``, ``@``) or a secret ``key=value``. Then an argument the parser did not
    expect may be a piece of that value (a URL or password with an unquoted space), and
    is not quoted back."""
    from monozu.db.dialects.urls import looks_like_secret

    for argument in arguments:
        if argument.startswith("-"):
            name = re.split(r"[=:]", argument.lstrip("-"), maxsplit=1)[0].lower()
            if _SECRET_OPTION.search(name) or (
                    name and any(o.startswith(name) for o in _SECRET_OPTIONS)):
                return True
        if "://" in argument or "@" in argument or looks_like_secret(argument):
            return True
    return False


def root_arguments() -> Sequence[str]:
    """The command line :func:`main` is running (empty outside it)."""
    return _Parser.arguments


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage in one line (no usage block) with exit code 2."""

    arguments: ClassVar[Sequence[str]] = ()  # the command line being parsed

    def error(self, message: str) -> NoReturn:
        # Arguments argparse did not expect (extra words, a command it does not know, an
        # option it cannot place) may be pieces of a URL or password with an unquoted space.
        if carries_secret(self.arguments) and re.match(
                r"unrecognized arguments|argument COMMAND|ambiguous option|argument .*: "
                r"(invalid choice|ignored explicit argument|invalid \w+ value)", message):
            message = re.sub(r"'[^']*'", "(not shown)", message, count=1)  # not the choices
            message = re.sub(r"(unrecognized arguments):.*", r"\1 (not shown: quote a --url "
                             "that holds spaces, and spell options in full)", message,
                             flags=re.S)
            message = re.sub(r"(ambiguous option):.*", r"\1 (not shown)", message, flags=re.S)
        fail(f"{self.prog}: {one_line(message)} (see {self.prog} --help)", EXIT_USAGE)
        raise SystemExit(EXIT_USAGE)  # not reached: fail() exits

    def _print_message(self, message: str, file: Any = None) -> None:
        # Help meant for standard output goes through echo, so that a write that fails
        # is reported (argparse ignores it, or writes to standard error instead).
        if not message:
            return
        if file is None or file is sys.stdout:
            echo(message, nl=False, lines=True)
        else:
            super()._print_message(message, file)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("monozu")
    except Exception:
        from monozu import __version__

        return __version__


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked for: reading the installed version
    imports importlib.metadata, which would slow every other command's start."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: Any = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        echo(f"monozu {_version()}")
        parser.exit()


# The module that registers the commands under each first word (for ``db``, each second
# word): a command line imports only the module it names, so ``db migrate`` does not pay
# for the feed parsers' or the demo's imports. Anything else (help, a typo) loads them
# all. A test checks this table against what the modules register.
COMMAND_MODULES: dict[str, str | dict[str, str]] = {
    "db": {
        "check": "check_commands",
        **dict.fromkeys(("migrate", "info", "validate", "baseline", "repair", "clean"),
                        "migrate_commands"),
        **dict.fromkeys(("erd", "drift", "rls"), "schema_commands"),
    },
    "cve": "cve_commands",
    "demo": "demo_command",
    "edge": "edge_commands",
}


def all_command_modules() -> set[str]:
    return {m for v in COMMAND_MODULES.values()
            for m in ([v] if isinstance(v, str) else v.values())}


def load_commands(arguments: Sequence[str]) -> None:
    """Import the command module the command line names, or all when it names none."""
    from importlib import import_module

    found = COMMAND_MODULES.get(arguments[0] if arguments else "")
    if isinstance(found, dict):
        found = found.get(arguments[1] if len(arguments) > 1 else "")
    for name in [found] if isinstance(found, str) else sorted(all_command_modules()):
        import_module(f"monozu.cli.{name}")


def _remember_secrets(arguments: Sequence[str]) -> None:
    """Remember every secret the command line and the environment hold, before anything
    is checked: a message about one value may quote another that equals a password."""
    from monozu.db.dialects.urls import remember_secrets

    for name, value in os.environ.items():
        remember_secrets(name, value)
    for before, argument in zip(["", *arguments], arguments, strict=False):
        name, _, value = argument.partition("=")
        if value and name.startswith("-"):
            remember_secrets(name, value)  # -password=..., --url=...
        elif before.startswith("-") and "=" not in before:
            remember_secrets(before, argument)  # --password ..., -p ...
        remember_secrets("", argument)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: the process arguments) and run one command."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    for number, argument in enumerate(arguments, 1):
        if "\x00" in argument:
            fail(f"argument {number} contains a NUL byte", EXIT_USAGE)
    _remember_secrets(arguments)
    if arguments[:1] == ["--version"] and len(arguments) > 1:
        # argparse would print the version and exit before seeing the rest.
        fail("monozu: --version takes no arguments (see monozu --help)", EXIT_USAGE)
    if arguments[:1] == ["flyway"]:
        from monozu.cli.flyway_commands import flyway_main

        return _guarded(lambda: flyway_main(arguments[1:]))
    load_commands(arguments)
    _Parser.arguments = arguments
    # No abbreviations (--u for --url): only the full names exist, so an option that
    # carries a secret is always spelt as carries_secret() knows it.
    parser = _Parser(prog="monozu", description=root.help, allow_abbrev=False)
    parser.add_argument("--version", action=_VersionAction, help="Print the version and exit.")
    root.build(parser)
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    subs.add_parser("flyway", help="Flyway's own command line: monozu flyway migrate "
                                   "-url=jdbc:... -user=... (see monozu flyway -?)",
                    allow_abbrev=False)
    args = vars(parser.parse_args(arguments))
    command = args.pop("_command", None)
    if command is None:
        args["_parser"].print_help(sys.stderr)
        return EXIT_USAGE
    options: tuple[Option, ...] = args.pop("_options")
    args.pop("_parser", None)
    return _guarded(lambda: command(**{opt.dest: args[opt.dest] for opt in options}))


def run() -> NoReturn:
    """The ``monozu`` program: :func:`main` in a process of its own."""
    import gc

    # A command is a short-lived process that builds many long-lived objects (modules,
    # classes, the driver's adapters) and few reference cycles: collecting the young
    # generation every 700 allocations, the default, is a measurable part of start-up.
    gc.set_threshold(50_000, 20, 20)
    sys.excepthook = _unforeseen
    threading.excepthook = _unforeseen_in_thread  # a pool's worker, say
    # Until a command runs (loading it, parsing its line) and after it has, Ctrl-C ends
    # the process at once with one line; the command itself gets Python's
    # KeyboardInterrupt (see _guarded) to roll back and release what it holds.
    stop_on_interrupt()
    try:
        status = main()
    except SystemExit as exc:
        status = _exit_status(exc.code)
    except OutputClosed:  # before a command ran (help, --version): as in _guarded
        status = EXIT_FAILED
    except OutputFailed as exc:
        _report_output_failed(exc)
        status = EXIT_FAILED
    except KeyboardInterrupt:  # in a command without its own handling
        _say_interrupted()
        status = EXIT_INTERRUPTED
    stop_on_interrupt()
    leave(status)


def _unforeseen(kind: type[BaseException], exc: BaseException, tb: TracebackType | None
                ) -> None:
    """What Python prints for an exception nothing caught (a bug in monozu): one line,
    or with ``MONOZU_TRACEBACK=1`` the traceback, masked as every line printed is. A
    message there may quote what the failing code was given: a URL, a password."""
    from monozu.db import known_secrets
    from monozu.db.dialects.urls import redact_words

    with contextlib.suppress(OutputClosed, OutputFailed, OSError, ValueError):
        if not os.environ.get("MONOZU_TRACEBACK"):
            echo(f"Error: {kind.__name__}: {one_line(str(exc))} (an error in monozu itself; "
                 "MONOZU_TRACEBACK=1 shows where)", err=True)
            return
        import traceback

        text = "".join(traceback.format_exception(kind, exc, tb))
        echo("\n".join(known_secrets.mask(redact_words(line))
                       for line in text.rstrip("\n").split("\n")), err=True, lines=True)


def _unforeseen_in_thread(args: threading.ExceptHookArgs) -> None:
    """The same for an exception that ends a thread: Python's own report printed it
    with its message as it was. A thread ended by SystemExit says nothing, as there."""
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    _unforeseen(args.exc_type, args.exc_value, args.exc_traceback)


def _say_interrupted() -> None:
    """One line, written without importing anything: an interrupt may have cut an
    import short, and importing again to print could fail with another error."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()
    with contextlib.suppress(OSError):
        os.write(2, b"Error: interrupted\n")


def interrupted() -> NoReturn:
    """The command was interrupted (Ctrl-C): one line, exit code 130."""
    _say_interrupted()
    sys.exit(EXIT_INTERRUPTED)


def _stop_now(signum: int, frame: object) -> None:
    try:
        _say_interrupted()
    finally:
        os._exit(EXIT_INTERRUPTED)


def stop_on_interrupt() -> None:
    """Make Ctrl-C end the process at once with one line (exit code 130)."""
    import signal

    signal.signal(signal.SIGINT, _stop_now)


def _interruptible() -> None:
    """Python's own Ctrl-C handling (KeyboardInterrupt) for the command about to run."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _exit_status(code: object) -> int:
    """The status ``sys.exit(code)`` would give: a message is printed and means 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    with contextlib.suppress(OutputClosed, OSError):  # as in fail(): the status still says it
        echo(str(code), err=True)
    return EXIT_FAILED


def leave(status: int) -> NoReturn:
    """End the process with ``status``, skipping the interpreter's teardown.

    Tearing down the modules of a finished command (the driver's among them) costs
    tens of milliseconds, a fifth of a migration that finds nothing to do. The
    process only has to end: ``atexit`` handlers still run (logging, temporary
    files) and the streams are flushed. With other threads still alive the normal
    exit runs instead, so that they are joined as usual.
    """
    import atexit
    import threading

    if threading.active_count() > 1:
        sys.exit(status)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except OSError as exc:
            # What was still buffered could not be written: said like a failed write
            # during the command (even after a failure of its own: its status, drift's
            # 1, say, does not tell that the output was lost), silent for a reader that
            # stopped early.
            failure = _output_error(exc, stream is not sys.stdout)
            if isinstance(failure, OutputFailed):
                _report_output_failed(failure)
            status = status or EXIT_FAILED
        except ValueError:  # a stream closed by the command: nothing left to say
            status = status or EXIT_FAILED
    os._exit(status)


def _guarded(run: Callable[[], object]) -> int:
    """Run a command; anything unforeseen is one line and exit 1, never a traceback.

    ``MONOZU_TRACEBACK=1`` shows the traceback instead (for debugging monozu itself).
    """
    try:
        _interruptible()
        code = run()
    except OutputClosed:
        # As a shell tool does when its reader stops early: no message, status 1, and
        # what is still buffered goes nowhere instead of failing again at exit.
        if sys.stdout is not None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except OutputFailed as exc:  # a full disk, an I/O error, a closed stream: said
        _report_output_failed(exc)
        return EXIT_FAILED
    except (MonozuError, KeyboardInterrupt):
        raise
    except (ValueError, OSError, UnicodeError, RecursionError, LookupError) as exc:
        if os.environ.get("MONOZU_TRACEBACK"):
            raise
        if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
            # A name given on the command line or in a setting, not a failure of the work.
            name = str(exc.filename or "")
            fail(f"{one_line(name[:60])}...: file name too long" if len(name) > 60
                 else f"{one_line(name)}: file name too long", EXIT_USAGE)
        fail(f"{type(exc).__name__}: {one_line(str(exc))}", EXIT_FAILED)
    return code if isinstance(code, int) else 0
