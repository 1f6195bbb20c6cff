"""The live exchange service (`ballast serve`): the world (world.py), its instructions
(commands.py), the journal (journal.py), the writer (core.py), access (auth.py), the HTTP API
(api.py), live updates (stream.py), read views (views.py) and the command line glue (app.py)."""
