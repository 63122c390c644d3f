"""Helpers of the identity tests (imported relatively)."""

import requests

USERS = {"alice": "alice-pw", "bob": "bob-pw", "zoë": "pässwörd-€"}
WAIT = 120


def password_body(name=None, password=None, *, user_id=None,
                  project=None, project_id=None, domain="Default"):
    user = {"password": password}
    if name is not None:
        user["name"] = name
        if domain is not None:
            user["domain"] = {"name": domain}
    if user_id is not None:
        user["id"] = user_id
    body = {"auth": {"identity": {"methods": ["password"],
                                  "password": {"user": user}}}}
    if project is not None:
        body["auth"]["scope"] = {"project": {"name": project,
                                             "domain": {"name": "Default"}}}
    if project_id is not None:
        body["auth"]["scope"] = {"project": {"id": project_id}}
    return body


def login(served, name, password=None, **kwargs):
    """``(token id, token document)`` of a password login, or the
    response if it was refused."""
    password = USERS[name] if password is None else password
    answer = requests.post(f"{served.identity}/auth/tokens",
                           json=password_body(name, password, **kwargs),
                           timeout=WAIT)
    if answer.status_code != 201:
        return answer
    return answer.headers["X-Subject-Token"], answer.json()["token"]
