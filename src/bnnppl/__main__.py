from bnnppl.cli import entry

entry()
