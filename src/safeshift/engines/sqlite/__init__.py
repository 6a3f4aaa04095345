"""SQLite's live side: backups with the online backup API (``backup.py``) and rehearsal copies
(``rehearse.py``).  Imports nothing itself.
"""
