"""`pulumi up` entry point: the program is components.program."""

from components.program import main

main()
