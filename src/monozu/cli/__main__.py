from monozu.cli.app import run

run()
