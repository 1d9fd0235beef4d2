"""Lab files: a YAML topology (nodes, links, per-node setup lines, checks) loaded into typed
models (model.py, load.py) and run on the emulator or the real kernel (run.py); ``vnetlab
why`` (why.py), ``vnetlab draw`` (picture.py), ``vnetlab shell`` (repl.py); the subcommands'
argument parsing is cli.py."""
