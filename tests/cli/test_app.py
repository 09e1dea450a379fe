"""The command tree and the process around it: routing, exit status, output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monozu.cli.app import COMMAND_MODULES, Group, all_command_modules, load_commands, root


def _registered(group: Group, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    found = {(*path, name): fn.__module__ for name, (fn, _) in group.commands.items()}
    for name, sub in group.groups.items():
        found.update(_registered(sub, (*path, name)))
    return found


def test_the_routing_table_names_the_module_of_every_command() -> None:
    load_commands([])  # everything
    registered = _registered(root)
    assert len(registered) >= 20
    for path, module in registered.items():
        route = COMMAND_MODULES[path[0]]
        if isinstance(route, dict):
            route = route[path[1]]
        assert f"monozu.cli.{route}" == module, path
    assert {m.rsplit(".", 1)[1] for m in registered.values()} == all_command_modules()


def test_a_command_line_imports_only_its_command_module() -> None:
    probe = (
        "import sys\n"
        "from monozu.cli.app import load_commands\n"
        "load_commands(sys.argv[1:])\n"
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules\n"
        "             if m.startswith('monozu.cli.') and m.endswith(('_commands', '_command'))))\n"
    )

    def loaded(*argv: str) -> str:
        out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True,
                             text=True, check=True)
        return out.stdout.strip()

    assert loaded("db", "migrate", "--url", "x") == "['migrate_commands']"
    assert loaded("db", "rls", "status") == "['schema_commands']"
    assert loaded("cve", "import") == "['cve_commands']"
    everything = str(sorted(all_command_modules()))
    assert loaded("db") == everything  # `monozu db` lists every db command
    assert loaded("db", "migrat") == everything  # a typo: argparse names the choices
    assert loaded("--help") == everything


def _leaving(body: str) -> subprocess.CompletedProcess[str]:
    """Run ``body`` in a fresh interpreter that ends through the CLI's exit path."""
    script = "import atexit, sys, threading, time\nfrom monozu.cli import app\n" + body
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as usual
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env=env)


def test_the_fast_exit_flushes_output_and_runs_exit_handlers() -> None:
    done = _leaving(
        "atexit.register(lambda: print('handler ran', file=sys.stderr))\n"
        "sys.stdout.write('no newline yet')\n"  # still in the stream's buffer
        "sys.stderr.write('nor here; ')\n"
        "app.leave(3)\n"
    )
    assert done.returncode == 3
    assert done.stdout == "no newline yet"
    assert done.stderr == "nor here; handler ran\n"


def test_the_fast_exit_waits_for_threads_still_running() -> None:
    done = _leaving(
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread finished'))).start()\n"
        "app.leave(0)\n"
    )
    assert (done.returncode, done.stdout) == (0, "thread finished\n")


def test_run_gives_the_status_sys_exit_would() -> None:
    for body, status, err in (
        ("app.main = lambda: 4\n", 4, ""),
        ("def main():\n    sys.exit()\napp.main = main\n", 0, ""),
        ("def main():\n    sys.exit(2)\napp.main = main\n", 2, ""),
        ("def main():\n    sys.exit('bad thing')\napp.main = main\n", 1, "bad thing\n"),
    ):
        done = _leaving(body + "app.run()\n")
        assert (done.returncode, done.stderr) == (status, err), body


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    cli = [sys.executable, "-m", "monozu.cli"]
    subprocess.run([*cli, "db", "migrate", "--url", url], capture_output=True, check=True)
    # `monozu db info | head -0`: the pipe is closed before anything is read.
    proc = subprocess.Popen([*cli, "db", "info", "--url", url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert (proc.wait(timeout=60), err) == (1, b"")


def test_a_broken_pipe_while_a_command_writes_is_status_1_without_a_message() -> None:
    done = _leaving(
        "class Closed:\n"
        "    def write(self, text):\n"
        "        raise BrokenPipeError(32, 'Broken pipe')\n"
        "    def flush(self):\n"
        "        pass\n"
        "    def fileno(self):\n"
        "        return 1\n"
        "sys.stdout = Closed()\n"
        "status = app._guarded(lambda: app.echo('a line too many'))\n"
        "print(status, file=sys.stderr)\n"
    )
    assert (done.returncode, done.stderr) == (0, "1\n")


@pytest.mark.parametrize(("redirect", "db", "status", "message"), [
    # standard output closed before the start: the output is lost, and that is said
    (">&-", "up to date", 1, "cannot write to standard output: standard output is closed"),
    (">&-", "missing", 2, "does not exist"),  # the error still reaches standard error
    ("2>&- >/dev/null", "missing", 2, None),  # no one to tell: the status still says it
    (">/dev/full", "up to date", 1, "No space left on device"),
])
def test_closed_or_full_output_streams_end_in_a_status_never_a_traceback(
        tmp_path: Path, redirect: str, db: str, status: int, message: str | None) -> None:
    path = tmp_path / ("m.db" if db == "up to date" else "absent/m.db")
    cli = [sys.executable, "-m", "monozu.cli"]
    if db == "up to date":
        subprocess.run([*cli, "db", "migrate", "--url", f"sqlite:///{path}"],
                       capture_output=True, check=True)
    err = tmp_path / "stderr"
    with err.open("w") as stderr:  # the shell applies the redirection, then runs monozu
        done = subprocess.run(["sh", "-c", f'exec "$@" {redirect}', "sh", *cli,
                               "db", "info", "--url", f"sqlite:///{path}"],
                              stderr=stderr, timeout=60)
    text = err.read_text()
    assert done.returncode == status, text
    assert "Traceback" not in text
    if message is not None:
        assert (message in text) if message else text == ""


def test_standard_output_closed_while_a_command_runs_is_status_1_and_said() -> None:
    done = _leaving(
        "import os\n"
        "os.close(1)\n"  # writes now fail with EBADF, as after `exec >&-` in a wrapper
        "status = app._guarded(lambda: app.echo('x' * 100_000))\n"
        "print(status, file=sys.stderr)\n"
    )
    assert (done.returncode, done.stderr) == (
        0, "Error: cannot write to standard output: standard output is closed\n1\n")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('out') / 'm.db'}"
    subprocess.run([sys.executable, "-m", "monozu.cli", "db", "migrate", "--url", url],
                   capture_output=True, check=True)
    return url


# Every kind of command that writes to standard output, each successful on its own.
WRITERS = [
    ["db", "info", "--url", "{url}"], ["db", "info", "--json", "--url", "{url}"],
    ["db", "validate", "--url", "{url}"], ["db", "migrate", "--url", "{url}"],
    ["db", "check", "--url", "{url}"], ["db", "erd", "--url", "{url}"],
    ["db", "drift", "--url", "{url}"], ["db", "rls", "status", "--url", "{url}"],
    ["cve", "status", "--url", "{url}"], ["flyway", "info", "-url=jdbc:sqlite:{path}"],
    ["flyway", "-?"], ["--version"], ["--help"], ["db", "--help"],
]


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("redirect", [">/dev/full", ">&-"])
@pytest.mark.parametrize("argv", WRITERS, ids=[" ".join(a[:3]) for a in WRITERS])
def test_output_that_cannot_be_written_is_said_in_one_line(
        argv: list[str], redirect: str, buffered: bool, migrated: str) -> None:
    """A full disk or a closed standard output loses what the command printed: one line
    says so, exit code 1, whether the write failed during the command or when what was
    buffered was written at the end."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    args = [a.format(url=migrated, path=migrated.removeprefix("sqlite:///")) for a in argv]
    done = subprocess.run(["sh", "-c", f'exec "$@" {redirect}', "sh", sys.executable, "-m",
                           "monozu.cli", *args], stderr=subprocess.PIPE, text=True,
                          timeout=60, env=env)
    why = "No space left on device" if redirect == ">/dev/full" else "standard output is closed"
    assert (done.returncode, done.stderr) == (
        1, f"Error: cannot write to standard output: {why}\n")


@pytest.mark.parametrize("argv", [["--version"], ["db", "info", "--url", "{url}"]])
def test_a_reader_that_stopped_early_is_still_not_an_error_message(
        argv: list[str], migrated: str) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "monozu.cli",
                             *(a.format(url=migrated) for a in argv)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert (proc.wait(timeout=60), err) == (1, b"")


# -- nothing printed can forge a line or act on the terminal ------------------------

# Every character a terminal acts on, as a name, an argument or a URL may carry it.
CONTROLS = [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))] + [
    "\u2028", "\u2029", "\u200e", "\u202e", "\u2066", "\u061c"]


def _raw_controls(text: str) -> list[str]:
    return sorted({c for c in text if c in CONTROLS and c != "\n"})


def test_printable_escapes_every_control_character() -> None:
    from monozu.text import printable

    for char in CONTROLS:
        shown = printable(f"a{char}b")
        assert shown.startswith("a\\") and shown.endswith("b") and len(shown) > 3, repr(char)
        assert not _raw_controls(shown) and "\n" not in shown


def test_printable_escapes_lone_surrogates_so_any_stream_can_write_them() -> None:
    from monozu.text import printable

    shown = printable("name-\udcff-\ud800")
    assert shown == "name-\\udcff-\\ud800"
    shown.encode("utf-8")  # strict: raises if one is left


def _monozu(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLYWAY_", "DATABASE_URL", "SQL_", "IS_DEV", "MONOZU_"))}
    env["HOME"] = str(cwd)
    return subprocess.run([sys.executable, "-m", "monozu.cli", *argv], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


@pytest.mark.parametrize("argv", [
    ["flyway", "-x\nError: forged line"],
    ["flyway", "info", "-x\x1b]0;TITLE\x07=1"],
    ["flyway", "info\u2028Error: forged"],
    ["db", "check", "--url", "postgresql://h/inj%0Asource%20%20%20FORGED"],
    ["db", "check", "--url", "postgresql://h/db?application_name=%1B%5B31mred"],
    ["db", "check", "--url", "sqlite:///x%1B%5D0%3BTITLE%07.db"],
    ["db", "check", "--url", "sqlite:///x%C2%85Error: forged.db"],
    ["db", "chek\x1b[31m"],
], ids=["flyway-newline", "flyway-osc", "flyway-line-separator", "url-newline", "url-csi",
        "sqlite-osc", "sqlite-nel", "argparse-choice"])
def test_an_error_is_one_line_with_no_control_character(argv: list[str], tmp_path: Path) -> None:
    proc = _monozu(argv, tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    assert _raw_controls(proc.stderr) == []
    assert list(tmp_path.iterdir()) == []  # refused: no database file


def test_names_from_files_and_the_database_cannot_forge_lines(tmp_path: Path) -> None:
    """Migration names (file names, then rows of the history table) holding a newline,
    CSI and OSC escapes, CR, NEL and U+2028: every report prints them escaped, and
    JSON stays JSON."""
    import json

    folder = tmp_path / "mig"
    folder.mkdir()
    (folder / "V1__a\x1b[31mred\u2028x\ry\x85z.sql").write_text("CREATE TABLE t (a int);\n")
    (folder / "V2__b\nError: forged.sql").write_text("SELECT 1;\n")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    runs = [["db", "migrate", "--url", url, "--locations", str(folder)],
            ["db", "info", "--url", url, "--locations", str(folder)],
            ["db", "validate", "--url", url, "--locations", str(folder)],
            ["db", "info", "--url", url, "--locations", str(folder), "--json"],
            ["flyway", "info", f"-url={url}", f"-locations=filesystem:{folder}",
             "-outputType=json"]]
    for argv in runs:
        proc = _monozu(argv, tmp_path)
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout + proc.stderr
        assert _raw_controls(out) == [], argv
        assert not any(line.startswith("Error: forged") for line in out.splitlines()), out
        if "--json" in argv or "-outputType=json" in argv:
            described = [m["description"] for m in json.loads(proc.stdout)["migrations"]]
            assert "b\nError: forged" in described  # escaped in the text, intact in the data


REPO = Path(__file__).resolve().parents[2]


# (what is patched, whether the real one runs before or after the interrupt)
_STAGES = {
    "loading the command": ("load_commands", "after"),
    "building the parser": ("_Parser.parse_args", "after"),
    "running the command": ("_interruptible", "before"),  # Python's KeyboardInterrupt
    "after the command": ("_guarded", "before"),
}


@pytest.mark.parametrize("stage", list(_STAGES))
def test_ctrl_c_anywhere_in_the_launcher_is_one_line_and_130(stage: str,
                                                              tmp_path: Path) -> None:
    """The ``./monozu`` launcher interrupted at each stage (the signal sent from inside,
    at a known point): one line and exit code 130, never a traceback."""
    name, when = _STAGES[stage]
    owner, _, attr = name.rpartition(".")
    launcher = str(REPO / "monozu")
    script = (
        "import os, runpy, signal, sqlite3, sys\n"
        "from monozu.cli import app\n"
        f"holder = getattr(app, {owner!r}) if {owner!r} else app\n"
        f"real = getattr(holder, {attr!r})\n"
        "def interrupt(*args, **kwargs):\n"
        f"    result = real(*args, **kwargs) if {when!r} == 'before' else None\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        f"    return result if {when!r} == 'before' else real(*args, **kwargs)\n"
        f"setattr(holder, {attr!r}, interrupt)\n"
        "sqlite3.connect('x.db').close()\n"
        f"sys.argv = [{launcher!r}, 'db', 'check', '--url', 'sqlite:///x.db']\n"
        f"runpy.run_path({launcher!r}, run_name='__main__')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.stderr == "Error: interrupted\n", done.stderr
    assert done.returncode == 130


def _check_with_broken_config(broken: str, secret: str, traceback: str,
                              tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``monozu db check`` given a URL holding ``secret``, with its config loader
    replaced by the function ``broken`` (source text): an error nothing catches."""
    script = (
        "import sys, threading\n"
        "import monozu.cli.check_commands as commands\n"
        f"{broken}"
        "commands.load_config = broken\n"
        "from monozu.cli.app import run\n"
        "run()\n"
    )
    env = {**os.environ, "MONOZU_TRACEBACK": traceback}
    done = subprocess.run([sys.executable, "-c", script, "db", "check", "--url",
                           f"postgresql://app:{secret}@127.0.0.1:1/x"], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path, env=env)
    assert "postgresql://app:***@127.0.0.1:1/x" in done.stderr, done.stderr
    assert secret not in done.stdout + done.stderr, done.stderr
    return done


@pytest.mark.parametrize("kind", ["RuntimeError", "ValueError"])
@pytest.mark.parametrize("traceback", ["", "1"])
def test_an_unforeseen_error_shows_no_secret(kind: str, traceback: str,
                                             tmp_path: Path) -> None:
    """An exception nothing caught (a bug) went to Python's own report, which quoted
    its message (and, with MONOZU_TRACEBACK=1, the chain's) as it was: a URL with its
    password. Now one line, or the traceback, masked like every line printed."""
    secret = "Hk7HookSecret"
    done = _check_with_broken_config(
        "def broken(*args, **kwargs):\n"
        "    try:\n"
        f"        raise KeyError('IS_DEV={secret}')\n"
        "    except KeyError:\n"
        f"        raise {kind}('cannot use ' + sys.argv[-1])\n", secret, traceback, tmp_path)
    assert done.returncode == 1, done.stderr
    if not traceback:
        assert len(done.stderr.splitlines()) == 1, done.stderr
    else:
        assert "Traceback" in done.stderr and "KeyError" in done.stderr


@pytest.mark.parametrize("traceback", ["", "1"])
def test_an_unforeseen_error_in_a_thread_shows_no_secret(traceback: str,
                                                         tmp_path: Path) -> None:
    """A thread of the command (a pool's worker, say) ended by an exception went to
    Python's own thread report, quoting its message as it was."""
    done = _check_with_broken_config(
        "def broken(*args, **kwargs):\n"
        "    def worker():\n"
        "        raise RuntimeError('cannot use ' + sys.argv[-1])\n"
        "    t = threading.Thread(target=worker)\n"
        "    t.start()\n"
        "    t.join()\n"
        "    raise SystemExit(3)\n", "Th7ThreadSecret", traceback, tmp_path)
    if not traceback:
        assert done.stderr.count("RuntimeError") == 1, done.stderr
    else:
        assert "Traceback" in done.stderr and "worker" in done.stderr
