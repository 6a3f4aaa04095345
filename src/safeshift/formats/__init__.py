"""The migrations folder's formats: what a folder holds and where its history lives.

``base.py`` names what every format shares (a history row, its states, the store protocol);
``safeshift.py`` is safeshift's own folder (file names, snapshots, the sum file), ``drizzle/`` a
drizzle-kit ``out`` folder (journal, drizzle's history table, snapshot conversion, down files), and
``folder.py`` reads a folder in the format it has and answers what differs between them.
"""
