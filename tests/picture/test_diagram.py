"""The diagram model on real schemas: what counts as changed, which neighbours are drawn, how columns and
keys are marked, and how awkward identifiers are written for Mermaid (no Node.js needed here)."""

from __future__ import annotations

from pathlib import Path

from safeshift.model import Column, ForeignKey, PrimaryKey, Schema, Table
from safeshift.picture import Box, Diagram, build, mermaid, tables_named
from safeshift.picture.mermaid import markdown_section, quoted, type_word, word
from tests.picture._scenarios import BLOG_VERSIONS, blog_snapshot, odd_schemas


def _box(d: Diagram, name: str) -> Box:
    return next(b for b in d.boxes if b.name == name)


def test_added_column_and_foreign_key_with_the_referenced_table_as_neighbour() -> None:
    # the blog's add_post_editor: posts.editor_id, nullable, FK to users, plus its index
    d = build(blog_snapshot(BLOG_VERSIONS[1]), blog_snapshot(BLOG_VERSIONS[2]), default_schema="public")
    assert [(b.name, b.role, b.mark) for b in d.boxes] == [("posts", "changed", "changed"),
                                                           ("users", "neighbour", "same")]
    posts = _box(d, "posts")
    marks = {a.name: a.mark for a in posts.attrs}
    assert marks["editor_id"] == "added" and {m for n, m in marks.items() if n != "editor_id"} == {"same"}
    assert next(a for a in posts.attrs if a.name == "editor_id").keys == ("FK",)
    assert "index ix_posts_editor_id added" in posts.notes and "foreign key posts_editor_id_fkey added" in posts.notes
    # a neighbour shows only what joins it to the change: users' primary key
    assert [a.name for a in _box(d, "users").attrs] == ["id"]
    edges = {(e.columns, e.mark, e.optional) for e in d.edges}
    assert edges == {(("author_id",), "same", False), (("editor_id",), "added", True)}


def test_renamed_column_is_a_drop_and_an_add_in_its_place() -> None:
    d = build(blog_snapshot(BLOG_VERSIONS[2]), blog_snapshot(BLOG_VERSIONS[3]), default_schema="public")
    users = _box(d, "users")
    assert users.role == "changed"
    assert [(a.name, a.mark) for a in users.attrs] == [("id", "same"), ("email", "same"), ("name", "dropped"),
                                                       ("display_name", "added"), ("created_at", "same")]
    assert _box(d, "posts").role == "neighbour"  # posts references users


def test_from_an_empty_database_every_table_is_new() -> None:
    d = build(None, blog_snapshot(BLOG_VERSIONS[0]), default_schema="public")
    assert {(b.name, b.mark) for b in d.boxes} == {("posts", "added"), ("users", "added")}
    assert all(a.mark == "added" for b in d.boxes for a in b.attrs)
    assert _box(d, "users").attrs[1].keys == ("UK",)  # email's unique index


def test_no_change_draws_nothing_and_says_so() -> None:
    same = blog_snapshot(BLOG_VERSIONS[3])
    d = build(same, blog_snapshot(BLOG_VERSIONS[4]), default_schema="public")  # the data-only backfill
    assert d.boxes == () and "change no table" in markdown_section(d)
    touched = build(same, same, default_schema="public", named={("public", "posts")})
    assert [(b.name, b.role) for b in touched.changed] == [("posts", "touched")]
    assert '"posts (touched)"' in mermaid(touched)


def test_odd_identifiers_on_a_real_sqlite_schema(tmp_path: Path) -> None:
    before, after = odd_schemas(tmp_path)
    d = build(before, after, default_schema="main")
    assert [(b.name, b.role, b.mark) for b in d.boxes] == [
        ("<b>gone</b>", "changed", "dropped"), ('new "fancy" table', "changed", "added"),
        ("order items", "changed", "changed"), ("Users Table", "neighbour", "same"),
        ("bystander", "neighbour", "same")]  # `unrelated` joins nothing that changed: not drawn
    items = _box(d, "order items")
    got = {a.name: (a.mark, a.notes()) for a in items.attrs}
    assert got['quote"d'] == ("changed", ("type NUMERIC(10,2) → TEXT",))
    assert got["1st#tag"] == ("changed", ("NOT NULL", "default none → ''"))
    assert got["weird%col"][0] == "dropped" and got["Ünïcode ✓"][0] == "added"
    # the dropped column keeps its place, right after the column it followed
    assert [a.name for a in items.attrs].index("weird%col") == 3
    text = mermaid(d)
    assert '"order items (changed)" {' in text and '"new #quot;fancy#quot; table (new)" {' in text
    assert '"#lt;b#gt;gone#lt;/b#gt; (dropped)"' in text  # never raw HTML in a viewer
    assert 'INTEGER pk_ PK "column pk"' in text  # PK as a column name would be read as the key marker
    assert 'TEXT _1st_tag "~ NOT NULL; default none → \'\' (column 1st#35;tag)"' in text
    assert '}o..o| "Users Table" : "- owner (dropped)"' in text  # the dropped table's key, dotted


def test_other_schemas_are_labelled_with_their_name() -> None:
    users = Table("auth", "users", (Column("id", "bigint", nullable=False),), PrimaryKey("users_pkey", ("id",)))
    posts = Table("public", "posts", (Column("id", "bigint", nullable=False), Column("owner", "bigint")),
                  PrimaryKey("posts_pkey", ("id",)), foreign_keys=(ForeignKey("f", ("owner",), "auth", "users", ("id",)),))
    d = build(Schema("postgresql", tables=(users,)), Schema("postgresql", tables=(users, posts)),
              default_schema="public")
    assert '"posts (new)" }o--o| "auth.users" : "+ owner (new)"' in mermaid(d)


def test_words_and_quoting() -> None:
    assert word("author_id") == "author_id" and word("fk") == "fk_" and word("9lives") == "_9lives"
    assert word("a b.c") == "a_b_c" and word("✓") == "x"
    assert type_word("character varying(100)") == "character_varying(100)" and type_word("integer[]") == "integer[]"
    assert type_word("numeric(10,2)") == "numeric(10_2)" and type_word("uk") == "t_uk"
    assert quoted('a "b" % \\ #c <d>\nline') == '"a #quot;b#quot; #37; #92; #35;c #lt;d#gt; line"'


def test_tables_named_by_sql() -> None:
    sql = r'''-- DROP TABLE nope
        CREATE TABLE IF NOT EXISTS "Odd ""Name""" (id int REFERENCES public.users(id) ON DELETE CASCADE);
        ALTER TABLE ONLY app.posts ADD COLUMN x int; DROP TABLE a, "B", s.c;
        CREATE UNIQUE INDEX CONCURRENTLY i ON ONLY Posts (lower(x));
        UPDATE posts SET x = 1 FROM users u JOIN tags t ON t.id = u.id;
        INSERT INTO audit (note) VALUES ('ALTER TABLE fake') ON CONFLICT DO UPDATE SET note = 1;
        CREATE TRIGGER tr AFTER INSERT OR UPDATE ON `weird``t` FOR EACH ROW BEGIN END;
        SELECT 1 FOR UPDATE SKIP LOCKED;'''
    assert tables_named(sql, "public") == {
        ("public", 'Odd "Name"'), ("public", "users"), ("app", "posts"), ("public", "a"), ("public", "B"),
        ("s", "c"), ("public", "posts"), ("public", "audit"), ("public", "weird`t")}
