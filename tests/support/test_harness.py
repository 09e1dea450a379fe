import psycopg


def test_postgres_harness_gives_a_real_server(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("select current_setting('server_version_num')::int").fetchone()
    assert row is not None and row[0] >= 150000
