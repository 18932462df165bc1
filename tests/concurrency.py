"""Fire the same form POST from several threads at the same instant (a double click, two tabs)."""

import re
import threading

from beta_training.extensions import db

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SUBMISSION_KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


def rendered_submission_key(client, url: str) -> str:
    """The one-time key of the form as the page renders it."""
    return SUBMISSION_KEY.search(client.get(url).text).group(1)


def simultaneous_posts(app, user, url: str, data: dict, count: int = 2, form_url: str | None = None) -> list:
    """`count` clients logged in as `user` each load `form_url` (for their CSRF token), wait at a barrier,
    then POST `data` to `url` together. Returns (status, Location) per request."""
    barrier, results, user_login = threading.Barrier(count), [], user.get_id()

    def click():
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user_login
        token = TOKEN.search(client.get(form_url or url).text).group(1)
        barrier.wait(timeout=30)
        response = client.post(url, data={**data, "csrf_token": token})
        results.append((response.status_code, response.headers.get("Location")))

    workers = [threading.Thread(target=click) for _ in range(count)]
    db.session.commit()  # no read snapshot of ours spans the race
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    db.session.commit()  # read what the race committed
    return results
