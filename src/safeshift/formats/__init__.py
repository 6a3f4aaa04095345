"""The migrations folder's formats: what a folder holds and where its history lives.

``base.py`` names what every format provides; safeshift's own format and drizzle-kit's are
read in ``migrations.py`` and ``drizzle.py`` until they move here (shared/ARCHITECTURE.md).
"""
