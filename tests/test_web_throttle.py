"""Sign-in throttling: guessing passwords for one name from one address is slowed down, not free."""

from __future__ import annotations

from monitor.web.throttle import FIRST_WAIT, FREE_TRIES, LoginThrottle
from tests.test_search_fixtures import any_db_url  # noqa: F401 - fixture
from tests.test_web import csrf_of, site  # noqa: F401 - fixture


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_waits_start_after_the_free_tries_double_and_reset() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock)
    for _ in range(FREE_TRIES):
        assert throttle.wait_seconds("10.0.0.1", "ana") == 0
        throttle.failed("10.0.0.1", "ana")
    assert throttle.wait_seconds("10.0.0.1", "ANA ") == FIRST_WAIT  # names compare trimmed, ignoring case
    assert throttle.wait_seconds("10.0.0.2", "ana") == 0  # another address is not locked out
    clock.now += FIRST_WAIT
    assert throttle.wait_seconds("10.0.0.1", "ana") == 0
    throttle.failed("10.0.0.1", "ana")
    assert throttle.wait_seconds("10.0.0.1", "ana") == 2 * FIRST_WAIT
    throttle.succeeded("10.0.0.1", "ana")
    assert throttle.wait_seconds("10.0.0.1", "ana") == 0


def test_the_sign_in_form_answers_429_after_repeated_wrong_passwords(site) -> None:  # noqa: F811
    engine, client = site
    token = csrf_of(client.get("/login").text)
    for _ in range(FREE_TRIES):
        wrong = client.post("/login", data={"name": "ana", "password": "wrong password", "csrf_token": token})
        assert wrong.status_code == 401
    locked = client.post("/login", data={"name": "ana", "password": "correct horse", "csrf_token": token},
                         follow_redirects=False)
    assert locked.status_code == 429 and "try again in" in locked.text
    assert int(locked.headers["retry-after"]) == FIRST_WAIT


def test_simultaneous_attempts_are_counted_before_their_passwords_are_checked() -> None:
    """40 requests at once must not all pass the check while the password hashing runs."""
    import threading

    throttle = LoginThrottle(Clock())
    barrier = threading.Barrier(40)
    allowed: list[int] = []

    def guess() -> None:
        barrier.wait()
        if throttle.attempt("10.0.0.9", "ana") == 0:
            allowed.append(1)

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == FREE_TRIES
