"""PostgreSQL's live side: the client tools (``tools.py``), the embedded server (``embedded.py``),
backups (``backup.py``) and rehearsal copies (``rehearse.py``).

Imports nothing itself, so ``safeshift restore``, which only needs ``backup.py`` and the client tools,
does not pay for the rest.
"""
