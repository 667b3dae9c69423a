from ltr_core.cli import main

main()
