"""Load profile for TechDock (issue 7, item 8): run by scripts/load/run_load.sh against gunicorn.

User mix (weights): anonymous visitors browse (home, listing lists with filters, listing detail,
the search page); signed-in members (enterprise / university) read their dashboard, inbox,
suggestions and search (page and API); brokers read their review queue and pair pages and now and
then approve or reject a pair routed to them. Requests are named by category — ``page:``,
``api:`` (reads) and ``post:`` (writes, logins) — and ``summary.json`` (LOAD_SUMMARY) aggregates
p50/p95/p99 per category exactly, from every response time (Locust's CSV only has per-name rows).
"""

import json
import os
import random
import re
import time
from collections import defaultdict

from locust import HttpUser, between, events, task

PASSWORD = "techdock-demo"  # noqa: S105 - the seeded demo's published password
# Members with an organisation inbox (the investor has none: /matchmaking/inbox/ is 403 for them).
MEMBERS = ["enterprise@demo.techdock.cn", "university@demo.techdock.cn"]
BROKERS = ["broker@demo.techdock.cn", "broker2@demo.techdock.cn", "broker3@demo.techdock.cn",
           "broker4@demo.techdock.cn"]
QUERIES = ["新能源电池", "智能制造", "机器人 视觉检测", "battery recycling", "hydrogen fuel cell", "生物医药",
           "sensor", "人工智能 算法", "新材料 复合", "water treatment", "5G 通信", "精密加工"]
LIST_FILTERS = ["", "?q=智能", "?sort=-published_at", "?page=2", "?q=energy", "?q=材料"]
DETAIL_RE = {"requirement": re.compile(r'href="/requirements/(\d+)/"'),
             "achievement": re.compile(r'href="/achievements/(\d+)/"')}

_times: dict[str, list[float]] = defaultdict(list)
_starts: dict[str, list[float]] = defaultdict(list)  # when each request started, s since test start
_fails: dict[str, int] = defaultdict(int)
_started = [0.0]
_spawned = [0.0]  # when the last user had been started
_signed_in = [0.0]  # when the last sign-in (in each user's on_start) had been answered
# Pairs that went away between reading the queue and opening them: the background pre-docking
# run supersedes older pending suggestions (matchmaking.services._supersede_older), after which
# the pair page is 404 for the broker. Expected, so counted here and not as failures.
_notes: dict[str, int] = defaultdict(int)


@events.test_start.add_listener
def _start(environment, **_kw):
    _started[0] = time.monotonic()


@events.spawning_complete.add_listener
def _spawning_complete(user_count, **_kw):
    _spawned[0] = time.monotonic() - _started[0]


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception, **_kw):
    _times[name].append(response_time)
    _starts[name].append(time.monotonic() - _started[0] - response_time / 1000)
    if name == "post:login":
        _signed_in[0] = time.monotonic() - _started[0]
    if exception is not None:
        _fails[name] += 1


def _pct(values, q):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))], 1)


@events.quitting.add_listener
def _summary(environment, **_kw):
    path = os.environ.get("LOAD_SUMMARY")
    if not path:
        return
    elapsed = max(time.monotonic() - _started[0], 1e-9)
    rows, groups = {}, defaultdict(list)
    group_fails = defaultdict(int)
    for name, values in _times.items():
        category = name.split(":", 1)[0]
        groups[category].extend(values)
        group_fails[category] += _fails[name]
        rows[name] = {"requests": len(values), "failures": _fails[name], "p50": _pct(values, .5),
                      "p95": _pct(values, .95), "p99": _pct(values, .99), "max": round(max(values), 1),
                      "rps": round(len(values) / elapsed, 2)}
    groups["pages+api reads"] = groups["page"] + groups["api"]
    group_fails["pages+api reads"] = group_fails["page"] + group_fails["api"]
    groups["reads excl. search"] = [v for name, values in _times.items() if name.split(":")[0] in ("page", "api")
                                    and name not in ("page:search", "api:search") for v in values]
    group_fails["reads excl. search"] = sum(n for name, n in _fails.items() if name.split(":")[0] in ("page", "api")
                                            and name not in ("page:search", "api:search"))
    # Steady state: requests started once every user had arrived and every sign-in had been
    # answered. During the ramp-up 18 sign-ins (PBKDF2, ~0.2 s of CPU each) arrive within ~2 s.
    ramp_up = max(_spawned[0], _signed_in[0])
    reads = [name for name in _times if name.split(":")[0] in ("page", "api")]
    groups["reads after ramp-up"] = [v for name in reads for v, t in zip(_times[name], _starts[name], strict=True)
                                     if t >= ramp_up]
    group_fails["reads after ramp-up"] = 0  # failures are counted in the whole-run groups
    groups["all"] = [v for values in _times.values() for v in values]
    group_fails["all"] = sum(_fails.values())
    aggregate = {g: {"requests": len(v), "failures": group_fails[g], "p50": _pct(v, .5), "p95": _pct(v, .95),
                     "p99": _pct(v, .99), "rps": round(len(v) / elapsed, 2)} for g, v in groups.items()}
    # Reads' p95 per 10 s of the run: where in the run the slow requests were.
    timeline = []
    for start in range(0, int(elapsed) + 1, 10):
        window = [v for name in reads for v, t in zip(_times[name], _starts[name], strict=True)
                  if start <= t < start + 10]
        if window:
            timeline.append({"from_s": start, "requests": len(window), "p95": _pct(window, .95)})
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"elapsed_s": round(elapsed, 1), "spawned_s": round(_spawned[0], 1),
                   "ramp_up_s": round(ramp_up, 1), "endpoints": rows,
                   "aggregate": aggregate, "timeline": timeline, "notes": dict(_notes)},
                  fh, ensure_ascii=False, indent=1)


class TechDockUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    # Listing ids seen on list pages, per class: an anonymous visitor only follows public ones.
    detail_ids: dict[str, list[int]]

    def page(self, url, name, **kw):
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False, **kw) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code} {r.error or ''}")
            return r

    def api(self, url, name, **kw):
        return self.page(url, name, headers={"Accept": "application/json"}, **kw)

    def collect_ids(self, kind, html):
        found = [int(x) for x in DETAIL_RE[kind].findall(html)]
        if found:
            pool = type(self).detail_ids
            pool[kind] = sorted(set(pool[kind]) | set(found))[-200:]

    def login(self, email):
        self.client.get("/accounts/login/", name="page:login form")
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post("/accounts/login/", name="post:login",
                              data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
                              headers={"Referer": self.host + "/accounts/login/"}, allow_redirects=False,
                              catch_response=True) as r:
            if r.status_code != 302:
                r.failure(f"login {email}: HTTP {r.status_code}")

    def csrf_post(self, url, name, data):
        token = self.client.cookies.get("csrftoken", "")
        return self.client.post(url, name=name, data={**data, "csrfmiddlewaretoken": token},
                                headers={"Referer": self.host + url}, allow_redirects=False, catch_response=True)


class Visitor(TechDockUser):
    """Anonymous browsing."""
    weight = 12
    detail_ids = {"requirement": [], "achievement": []}

    @task(3)
    def home(self):
        self.page("/", "page:home")

    @task(4)
    def listing_list(self):
        kind = random.choice(["requirement", "achievement"])
        r = self.page(f"/{kind}s/{random.choice(LIST_FILTERS)}", f"page:{kind} list")
        if r.status_code == 200:
            self.collect_ids(kind, r.text)

    @task(4)
    def listing_detail(self):
        kind = random.choice(["requirement", "achievement"])
        if type(self).detail_ids[kind]:
            self.page(f"/{kind}s/{random.choice(type(self).detail_ids[kind])}/", f"page:{kind} detail")
        else:
            self.listing_list()

    @task(1)
    def search_page(self):
        self.page("/matchmaking/search/", "page:search", params={"q": random.choice(QUERIES)})


class Member(TechDockUser):
    """A signed-in enterprise / university member."""
    weight = 14
    detail_ids = {"requirement": [], "achievement": []}

    def on_start(self):
        self.login(random.choice(MEMBERS))

    @task(3)
    def dashboard(self):
        self.page("/dashboard/", "page:dashboard")

    @task(2)
    def inbox_page(self):
        self.page("/matchmaking/inbox/", "page:inbox")

    @task(2)
    def inbox_api(self):
        self.api("/api/v1/inbox/", "api:inbox")

    @task(2)
    def suggestions_api(self):
        self.api("/api/v1/suggestions/", "api:suggestions")

    @task(2)
    def requirements_api(self):
        self.api("/api/v1/requirements/", "api:requirements")

    @task(2)
    def search_page(self):
        self.page("/matchmaking/search/", "page:search", params={"q": random.choice(QUERIES)})

    @task(2)
    def search_api(self):
        self.api("/api/v1/search/", "api:search", params={"q": random.choice(QUERIES)})

    @task(2)
    def listing_list(self):
        kind = random.choice(["requirement", "achievement"])
        r = self.page(f"/{kind}s/{random.choice(LIST_FILTERS)}", f"page:{kind} list")
        if r.status_code == 200:
            self.collect_ids(kind, r.text)


class Broker(TechDockUser):
    """A broker reviewing the pairs routed to them."""
    weight = 4
    detail_ids = {"requirement": [], "achievement": []}

    def on_start(self):
        self.pairs: list[int] = []
        self.decided: set[int] = set()
        self.login(random.choice(BROKERS))

    @task(3)
    def queue_page(self):
        self.page("/matchmaking/review/", "page:review queue")
        if not self.pairs:
            self.queue_api()

    @task(2)
    def queue_api(self):
        # The pairs to open and decide come from the API's queue (ids of pairs awaiting this broker).
        r = self.api("/api/v1/reviews/", "api:reviews")
        if r.status_code == 200:
            self.pairs = [p["id"] for p in r.json().get("results", []) if p["id"] not in self.decided]

    @task(4)
    def pair_page(self):
        if self.pairs:
            pk = random.choice(self.pairs)
            with self.client.get(f"/matchmaking/pairs/{pk}/", name="page:pair", catch_response=True,
                                 allow_redirects=False) as r:
                if r.status_code == 200:
                    return
                if r.status_code == 404:  # superseded by the background run: gone from the queue
                    r.success()
                    _notes["pair superseded (404)"] += 1
                    self.pairs.remove(pk)
                else:
                    r.failure(f"HTTP {r.status_code} {r.error or ''}")
        else:
            self.queue_page()

    @task(1)
    def decide(self):
        if not self.pairs:
            return
        pk = self.pairs.pop(random.randrange(len(self.pairs)))
        self.decided.add(pk)
        if random.random() < 0.6:
            r = self.csrf_post(f"/matchmaking/pairs/{pk}/approve/", "post:pair approve", {})
        else:
            r = self.csrf_post(f"/matchmaking/pairs/{pk}/reject/", "post:pair reject",
                               {"reason": "负载测试：领域不匹配 (load test)"})
        with r:
            # 302: decided; 400/409: another broker got there first; 404: superseded by the run.
            if r.status_code in (302, 400, 404, 409):
                if r.status_code == 404:
                    _notes["decision on superseded pair (404)"] += 1
                r.success()
            else:
                r.failure(f"HTTP {r.status_code} {r.error or ''}")
