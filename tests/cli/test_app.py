"""The command tree: each command line imports only the module that registers it."""

from __future__ import annotations

import subprocess
import sys

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
