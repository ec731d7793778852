"""The bench's own database, on the same server as DATABASE_URL, made fresh and dropped after."""
from __future__ import annotations

from contextlib import closing
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` (query string, e.g. pgserver's ?host=, kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def bench_url(url: str, scale: str = "full") -> str:
    """``<name>_bench`` beside the database of ``url`` (``<name>_bench_tiny`` for the tiny scale,
    so that the test suite's tiny run never drops a full run's database)."""
    suffix = "_bench" if scale == "full" else f"_bench_{scale}"
    return with_database(url, database_name(url) + suffix)


def _admin(url: str):
    """An autocommit connection to the server's maintenance database."""
    connection = psycopg2.connect(with_database(url, "postgres"))
    connection.autocommit = True
    return connection


def drop(url: str) -> None:
    """Drop the database of ``url`` if it exists (closing other sessions on it)."""
    with closing(_admin(url)) as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(url))))


def recreate(url: str) -> None:
    """Drop the database of ``url`` if it exists and create it empty."""
    drop(url)
    with closing(_admin(url)) as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_name(url))))
