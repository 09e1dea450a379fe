"""The real Flyway CLI, driven from tests and benchmarks.

The jars come from Maven Central through ``tools/flyway/fetch`` (run on first use when
they are missing). Every call is a fresh JVM, so calls are kept few; a class-data-sharing
archive built once per checkout roughly halves the start-up time of each call.

Flyway is run from an empty private directory with ``user.home`` pointing there and no
``FLYWAY_*`` variables, so no ``flyway.conf``/``flyway.toml`` from the caller's working
directory, home or environment can change what it does.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]


class FlywayError(RuntimeError):
    """Flyway ran and reported a failure."""

    def __init__(self, message: str, result: FlywayResult) -> None:
        super().__init__(message)
        self.result = result


class FlywayResult(subprocess.CompletedProcess[str]):
    """A finished Flyway run; ``json`` is its parsed ``-outputType=json`` output."""

    json: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not _failure(self.json)

    @property
    def error_message(self) -> str:
        return _failure(self.json) or (self.stderr or self.stdout).strip()


def flyway_home() -> Path:
    """The folder holding ``fetch``, ``flyway`` and (once fetched) ``lib/``."""
    override = os.environ.get("MONOZU_FLYWAY_HOME")
    return Path(override) if override else REPO_ROOT / "tools" / "flyway"


def java_available() -> bool:
    return shutil.which("java") is not None


@cache
def flyway_available() -> str | None:
    """``None`` when the real Flyway CLI can run here, else why not.

    Fetches the jars on first use (a few seconds) unless ``MONOZU_FLYWAY_NO_FETCH`` is set.
    """
    if not java_available():
        return "Java not found: the real Flyway CLI needs Java 17+ (openjdk-17-jre-headless)"
    home = flyway_home()
    if not any((home / "lib").glob("flyway-commandline-*.jar")):
        if os.environ.get("MONOZU_FLYWAY_NO_FETCH"):
            return f"no Flyway jars in {home / 'lib'}: run tools/flyway/fetch"
        fetch = subprocess.run(
            ["bash", str(home / "fetch")], capture_output=True, text=True, timeout=900
        )
        if fetch.returncode != 0:
            tail = (fetch.stderr or fetch.stdout).strip().splitlines()[-5:]
            return "tools/flyway/fetch failed: " + " | ".join(tail)
    probe = subprocess.run(
        ["bash", str(home / "flyway"), "-skipCheckForUpdate", "-v"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=_sandbox(),
        env=_env(),
    )
    if probe.returncode != 0:
        return f"Flyway CLI does not start: {(probe.stderr or probe.stdout).strip()[-500:]}"
    return None


def require_flyway() -> None:
    """Call at the start of a test that needs Flyway.

    Without Java the test is skipped outside CI (``tests.conftest.require`` fails it in CI);
    with Java, a Flyway that cannot be fetched or started is a failure everywhere.
    """
    import pytest

    from tests.conftest import require

    reason = flyway_available()
    if reason is None:
        return
    if not java_available():
        require(reason)
    pytest.fail(reason, pytrace=False)


def jdbc_url(url: str) -> tuple[str, str, str]:
    """Our database URL as Flyway's ``(-url, -user, -password)``.

    ``postgresql://user:pw@host:port/db?k=v`` becomes ``jdbc:postgresql://host:port/db?k=v``;
    ``sqlite:///relative`` and ``sqlite:////abs/path`` become ``jdbc:sqlite:<absolute path>``
    (absolute, because Flyway runs in another working directory).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        if url.startswith("sqlite:////"):
            path = Path("/" + url[len("sqlite:////") :].split("?", 1)[0])
        elif url.startswith("sqlite:///"):
            path = Path.cwd() / url[len("sqlite:///") :].split("?", 1)[0]
        else:
            raise ValueError(f"unsupported SQLite URL (want sqlite:///path): {url}")
        return f"jdbc:sqlite:{unquote(str(path))}", "", ""
    if scheme in {"postgresql", "postgres"}:
        host = parts.hostname or "localhost"
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
        query = f"?{parts.query}" if parts.query else ""
        jdbc = f"jdbc:postgresql://{host}{port}{parts.path or '/'}{query}"
        return jdbc, unquote(parts.username or ""), unquote(parts.password or "")
    raise ValueError(f"no JDBC mapping for this URL scheme: {scheme!r}")


def flyway_args(
    verb: str,
    url: str,
    locations: Sequence[Path],
    *extra_args: str,
    placeholders: Mapping[str, str] | None = None,
) -> list[str]:
    """The Flyway command line (without the launcher) for one operation; the password
    is left to :func:`password_env`."""
    jdbc, user, _password = jdbc_url(url)
    args = [
        "-skipCheckForUpdate",
        f"-url={jdbc}",
        f"-locations={','.join('filesystem:' + str(Path(p).resolve()) for p in locations)}",
        f"-cleanDisabled={'false' if verb == 'clean' else 'true'}",
        "-connectRetries=0",
        "-outputType=json",
    ]
    if user:
        args.append(f"-user={user}")
    args += [f"-placeholders.{k}={v}" for k, v in (placeholders or {}).items()]
    return [*args, *extra_args, verb]


def password_env(url: str) -> dict[str, str]:
    """The password of ``url`` as Flyway reads it from its environment: a process's
    command line is shown to every user of the machine (``ps``), its environment only
    to its owner."""
    password = jdbc_url(url)[2]
    return {"FLYWAY_PASSWORD": password} if password else {}


def flyway_command(*, fast_start: bool = True) -> tuple[list[str], dict[str, str]]:
    """``(argv prefix, environment)`` to start the Flyway CLI.

    ``fast_start`` adds JVM options that only shorten start-up (class-data sharing,
    client compiler); the benchmark measures Flyway without them.
    """
    env = _env()
    if fast_start:
        env["JAVA_ARGS"] = " ".join([env["JAVA_ARGS"], *_cds_options(), *_FAST_JVM])
    return ["bash", str(flyway_home() / "flyway")], env


def run_flyway(
    verb: str,
    url: str,
    locations: Sequence[Path],
    *extra_args: str,
    placeholders: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float = 300,
) -> FlywayResult:
    """Run ``flyway <verb>`` against ``url`` with migrations from ``locations``.

    With ``check`` a failure (non-zero exit, or an ``error`` in the JSON) raises
    :class:`FlywayError` carrying Flyway's own message. ``validate`` failures count too.
    """
    argv, env = flyway_command()
    args = flyway_args(verb, url, locations, *extra_args, placeholders=placeholders)
    proc = subprocess.run(
        [*argv, *args], capture_output=True, text=True, timeout=timeout, cwd=_sandbox(),
        env={**env, **password_env(url)},
    )
    result = FlywayResult(proc.args, proc.returncode, proc.stdout, proc.stderr)
    result.json = _parse_json(proc.stdout)
    if check and not result.ok:
        raise FlywayError(f"flyway {verb} failed: {result.error_message}", result)
    return result


def _failure(doc: Mapping[str, Any]) -> str | None:
    """Flyway's error message from its JSON output, or ``None`` when it succeeded.

    With ``-outputType=json`` Flyway exits 0 even when the operation failed.
    """
    error = doc.get("error")
    if error:
        return str(error.get("message") if isinstance(error, dict) else error)
    if doc.get("validationSuccessful") is False:
        return str(doc.get("allErrorMessages") or "validation failed")
    if doc.get("success") is False:
        return str(doc.get("exception") or "operation failed")
    return None


def _parse_json(stdout: str) -> dict[str, Any]:
    start = stdout.find("{")
    if start < 0:
        return {}
    try:
        doc = json.loads(stdout[start:])
    except json.JSONDecodeError:
        return {}
    return doc if isinstance(doc, dict) else {}


_FAST_JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xlog:disable")


@cache
def _sandbox() -> Path:
    """An empty working directory (also ``user.home``) for every Flyway run."""
    path = Path(tempfile.mkdtemp(prefix="monozu-flyway-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLYWAY_")}
    env["JAVA_ARGS"] = f"-Duser.home={_sandbox()}"
    return env


@cache
def _cds_options() -> tuple[str, ...]:
    """JVM options to use a class-data-sharing archive of Flyway's classes, built once."""
    home = flyway_home()
    stamp = home / "lib" / ".pom.sha256"
    tag = stamp.read_text().strip()[:12] if stamp.exists() else "unknown"
    archive = home / "target" / f"flyway-{tag}.jsa"
    if not archive.exists():
        archive.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="monozu-flyway-cds-"))
        try:
            (work / "m").mkdir()
            (work / "m" / "V1__probe.sql").write_text("CREATE TABLE probe (id INT);\n")
            partial = archive.with_suffix(f".{os.getpid()}.tmp")
            env = _env()
            env["JAVA_ARGS"] += f" -XX:ArchiveClassesAtExit={partial} -Xlog:disable"
            db = f"sqlite:///{work / 'probe.db'}"
            subprocess.run(
                ["bash", str(home / "flyway"), *flyway_args("migrate", db, [work / "m"])],
                capture_output=True,
                timeout=300,
                cwd=_sandbox(),
                env=env,
            )
            if partial.exists():
                partial.replace(archive)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if not archive.exists():
        return ()
    return (f"-XX:SharedArchiveFile={archive}",)
