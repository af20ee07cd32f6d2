"""/healthz (database, Redis and storage, each timed) and /readyz (database and migrations)."""

import socket

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


class UnreachableStorage(FileSystemStorage):
    """A storage whose server does not answer (a bucket endpoint that is down)."""

    def exists(self, name):
        raise ConnectionRefusedError(f"storage endpoint refused the connection asking for {name}")


def get_counting_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


def files_under(root):
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- /healthz -----------------------------------------------------------------------


def test_healthz_reports_database_redis_and_storage_each_with_its_latency_in_one_query(
    client, settings
):
    # when a monitor probes the shop
    response, queries = get_counting_queries(client, "/healthz")
    # then every part is checked and timed, and the database costs one query
    body = response.json()
    assert response.status_code == 200
    expected = {"database", "storage"} | ({"redis"} if settings.REDIS_URL else set())
    assert set(body["checks"]) >= expected
    assert all(value == "ok" for value in body["checks"].values())
    assert body["status"] == "ok"
    assert set(body["latency_ms"]) == set(body["checks"])
    assert all(
        isinstance(milliseconds, (int, float)) and milliseconds >= 0
        for milliseconds in body["latency_ms"].values()
    )
    assert queries == 1


def test_healthz_storage_probe_writes_nothing(client):
    # given the private storage as it is
    root = django_settings.PRIVATE_MEDIA_ROOT
    before = files_under(root)
    # when monitors probe the shop again and again
    for _ in range(3):
        assert client.get("/healthz").json()["checks"]["storage"] == "ok"
    # then no file (probe, marker, folder) appeared
    assert files_under(root) == before


def test_healthz_is_degraded_not_down_when_the_storage_does_not_answer(client, settings):
    # given a private storage whose endpoint refuses connections
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": f"{__name__}.UnreachableStorage"},
    }
    # when a load balancer probes the shop
    response = client.get("/healthz")
    # then the shop stays in the pool (pages come from the database) and monitoring
    # sees the storage is down, and how long the attempt took
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["storage"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["latency_ms"]["storage"] >= 0


# --- /readyz ------------------------------------------------------------------------


def test_readyz_is_ready_when_the_database_answers_and_every_migration_is_applied(client):
    # when a load balancer asks whether this host may take buyers
    response, queries = get_counting_queries(client, "/readyz")
    # then it may, and the answer costs a fixed number of queries
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok"},
    }
    assert response["Cache-Control"].startswith("max-age=0")
    assert queries == 3


def test_readyz_is_not_ready_while_a_migration_of_the_code_is_not_applied(client):
    # given a host whose code is newer than the database (migrate has not run yet)
    latest = MigrationRecorder.Migration.objects.filter(app="orders").order_by("-id").first()
    latest.delete()
    # when the load balancer asks
    response = client.get("/readyz")
    # then the host gets no buyer until the migration is applied
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {"database": "ok", "migrations": "1 unapplied"},
    }


def test_readyz_is_ready_without_redis(client, settings):
    # given Redis (broker and cache) unreachable
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHE_REDIS_URL = "redis://127.0.0.1:1/1"
    # when the load balancer asks
    response = client.get("/readyz")
    # then the host keeps its buyers: pages come from the database, work waits for sweeps
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/healthz", {"status": "error", "database": "error"}),
        ("/readyz", {"status": "not ready", "database": "error"}),
    ],
)
def test_probes_answer_503_when_the_database_does_not_answer(client, url, expected):
    # given a database server that refuses connections
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(unused_port()))
    try:
        # when a load balancer probes the host
        response = client.get(url)
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    # then the host is taken out of the pool, and the reason shows
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == expected["status"]
    assert body["checks"]["database"] == expected["database"]
