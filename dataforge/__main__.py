from dataforge.cli import main

main()
