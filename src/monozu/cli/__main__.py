from monozu.cli import main

main()
