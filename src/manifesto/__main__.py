from manifesto.cli import main

main()
