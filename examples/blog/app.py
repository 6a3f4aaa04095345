"""The example blog's own commands: ``seed`` some data and ``check`` that the app can use the database.

``python app.py check`` is the health command of safeshift.toml: it reads a row of every
mapped table through the models, so a column the app expects but the database lacks (or
the other way round, a NOT NULL column the app does not fill) fails it with exit code 1.
Both read DATABASE_URL, as the app does.
"""

from __future__ import annotations

import os
import sys

from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from models import Base, Post, User


def _engine() -> Engine:
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("DATABASE_URL is not set")
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(url)


def seed(n: int = 50) -> None:
    """``n`` users with two posts each, added once (a second run adds nothing)."""
    with Session(_engine()) as s, s.begin():
        if s.scalar(select(func.count()).select_from(User)):
            return
        for i in range(n):
            user = User(email=f"user{i}@example.com", display_name=f"User {i}")
            s.add(user)
            s.flush()
            s.add_all([Post(author_id=user.id, title=f"Post {i}.{j}", body="hello") for j in range(2)])


def check() -> None:
    try:
        with Session(_engine()) as s:
            for model in (m.class_ for m in Base.registry.mappers):
                s.execute(select(model).limit(1)).all()
            users = s.scalar(select(func.count()).select_from(User))
            posts = s.scalar(select(func.count()).select_from(Post))
    except SQLAlchemyError as exc:
        print(f"health check failed: {str(exc.orig if hasattr(exc, 'orig') else exc).splitlines()[0]}")
        sys.exit(1)
    print(f"health check passed: {users} users, {posts} posts readable through the models")


if __name__ == "__main__":
    commands = {"seed": seed, "check": check}
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command not in commands:
        sys.exit(f"usage: python app.py [{'|'.join(commands)}]")
    commands[command]()
