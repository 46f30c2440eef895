"""Lifespan through real servers: state from startup reaches requests, a failing startup
stops the server with its message, and an app that ignores lifespan still starts."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

import httpx
import pytest

SERVERS = ("uvicorn", "granian", "hypercorn")


@pytest.mark.parametrize("server", SERVERS)
def test_startup_state_reaches_requests(serve: Callable[..., Any], server: str) -> None:
    running = serve("lifespan_app:app", server=server)
    for _ in range(2):
        response = httpx.get(running.url + "/", timeout=30)
        assert response.status_code == 200
        assert response.json() == {"greeting": "set up at startup"}


@pytest.mark.parametrize("server", SERVERS)
def test_a_failing_startup_stops_the_server_with_its_message(
    run_until_exit: Callable[..., subprocess.CompletedProcess[str]], server: str
) -> None:
    completed = run_until_exit("lifespan_app:failing_app", server=server)
    # The server exited by itself (run_until_exit returned): no hang.
    if server != "hypercorn":
        assert completed.returncode != 0, completed.stdout
    # hypercorn 0.18 prints the failure but exits with status 0 (reported upstream).
    assert "the database at 127.0.0.1:1 refused the connection" in completed.stdout


@pytest.mark.parametrize("server", SERVERS)
def test_an_app_that_ignores_lifespan_still_starts(serve: Callable[..., Any], server: str) -> None:
    running = serve("lifespan_app:unaware_app", server=server)
    response = httpx.post(running.url + "/echo", json={"a": [1, 2]}, timeout=30)
    assert response.status_code == 200
    assert response.json() == {"method": "POST", "body": {"a": [1, 2]}}
