#!/usr/bin/env python3
"""Measures how a running Kith server holds up against abuse, from outside, over HTTP.

    scripts/abuse-figures.py http://127.0.0.1:3000 SERVER_PID

Prints three figures:
  - of 40 sign-in attempts at once on one address (39 wrong passwords and the right one), how
    many had their password checked (the others were told to wait);
  - the server's resident memory before and at its peak while 200 sign-ins run at once;
  - another account's "add contact" latency while one account sends 20 meeting notes of
    20,000 characters of nested quotes at once.

A measurement, not a test: it signs up accounts (start the server with
KITH_SIGN_UPS_PER_ADDRESS and KITH_SIGN_UPS_PER_HOUR raised) and leaves them behind. It needs
only Python's standard library; server functions are found from the forms' actions.
"""

import concurrent.futures
import http.client
import json
import re
import secrets
import sys
import threading
import time
import urllib.parse

PASSWORD = "correct horse battery staple"


class Client:
    def __init__(self, base):
        self.url = urllib.parse.urlsplit(base)
        self.cookie = None

    def request(self, method, path, body=None, accept="application/json"):
        connection = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=120)
        headers = {"accept": accept, "sec-fetch-site": "same-origin"}
        if body is not None:
            headers["content-type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode(body)
        if self.cookie:
            headers["cookie"] = self.cookie
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("kith_session=") and "Max-Age=0" not in value:
                self.cookie = value.split(";")[0]
        connection.close()
        return response.status, data


def form_action(client, page, button_text):
    """The server function a page's form posts to (the form holding `button_text`)."""
    _, html = client.request("GET", page, accept="text/html")
    for form in re.findall(r"<form[^>]*>.*?</form>", html, re.S):
        if button_text in form:
            return re.search(r'action="([^"]+)"', form).group(1)
    raise SystemExit(f"no form with {button_text!r} on {page}")


def sign_up(base, email):
    client = Client(base)
    action = form_action(client, "/sign-up", "Create account")
    status, answer = client.request(
        "POST", action, {"email": email, "password": PASSWORD, "display_name": "", "time_zone": "UTC"}
    )
    if "SignedIn" not in answer:
        raise SystemExit(f"sign-up of {email} failed: {status} {answer}")
    return client


def resident_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def guesses(base, action):
    email = f"victim-{secrets.token_hex(4)}@example.com"
    sign_up(base, email)

    def attempt(n):
        password = PASSWORD if n == 20 else f"guess {n}"
        _, answer = Client(base).request("POST", action, {"email": email, "password": password, "next": "/contacts"})
        if "SignedIn" in answer:
            return "checked"
        return "checked" if '"field":"password"' in answer else "throttled"

    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    return outcomes.count("checked")


def memory(base, action, pid):
    before = resident_kib(pid)
    peak = before
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, resident_kib(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()

    def attempt(n):
        Client(base).request("POST", action, {"email": f"nobody{n}-{secrets.token_hex(3)}@example.com",
                                              "password": "guess", "next": "/contacts"})

    with concurrent.futures.ThreadPoolExecutor(200) as pool:
        list(pool.map(attempt, range(200)))
    done.set()
    sampler.join()
    return before, peak


def latency(base):
    heavy = sign_up(base, f"heavy-{secrets.token_hex(4)}@example.com")
    other = sign_up(base, f"other-{secrets.token_hex(4)}@example.com")
    add = form_action(other, "/contacts", "Add contact")
    heavy.request("POST", add, {"name": "Bob", "description": "", "contact_method": ""})
    time.sleep(1)
    schedule = form_action(heavy, "/contacts/Bob", "Save meeting")
    notes = "> " * 9_990
    stop = threading.Event()

    def flood():
        while not stop.is_set():
            heavy.request("POST", schedule, {"contact": "Bob", "meeting_on": "2030-01-02",
                                             "meeting_time": "09:30", "notes": notes})

    flooders = [threading.Thread(target=flood) for _ in range(20)]
    for flooder in flooders:
        flooder.start()
    time.sleep(0.5)
    times = []
    for n in range(20):
        started = time.perf_counter()
        status, answer = other.request("POST", add, {"name": f"Friend {n} {secrets.token_hex(3)}",
                                                     "description": "", "contact_method": ""})
        times.append((time.perf_counter() - started) * 1000)
        if "Accepted" not in answer:
            raise SystemExit(f"add contact failed: {status} {answer}")
    stop.set()
    for flooder in flooders:
        flooder.join()
    times.sort()
    return times[len(times) // 2], times[-1]


def main():
    base, pid = sys.argv[1], int(sys.argv[2])
    action = form_action(Client(base), "/sign-in", "Sign in")
    checked = guesses(base, action)
    print(f"40 sign-in attempts at once on one address: {checked} passwords checked")
    before, peak = memory(base, action, pid)
    print(f"200 sign-ins at once: resident memory {before / 1024:.0f} MiB before, {peak / 1024:.0f} MiB at the peak")
    p50, worst = latency(base)
    print(f"another account's add contact while one sends heavy notes: p50 {p50:.1f} ms, slowest {worst:.1f} ms (20 adds)")


if __name__ == "__main__":
    main()
