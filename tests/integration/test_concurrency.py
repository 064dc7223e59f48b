"""Many clients at once, and a crash under load. Eight threads, each with
its own HTTP session, ask for and complete trials of one study: no trial
may be handed out twice and the numbers must run 0..n-1 without gaps. Then
the server is killed with SIGKILL mid-load and restarted on the same
database: every acknowledged completion must be there, and the leases of
trials that were running must expire and be reclaimed."""

import threading
import time

import requests

from conftest import sql
from contract import check, study_body

N_CLIENTS = 8
N_CYCLES = 2000
ASK = "/api/v1/studies/{id}/trials/ask"


def create(server, name, max_trials, lease_s):
    body = study_body(name, budget={"max_trials": max_trials, "parallel": N_CLIENTS,
                                    "lease_s": lease_s})
    return check(server.post("/api/v1/studies", body), "POST", "/api/v1/studies", 201)["id"]


class Client(threading.Thread):
    """One worker: ask one trial, complete it with value = number / 1000,
    until its quota is done, the study has nothing left or the server is
    gone. Records what the server acknowledged with a 2xx."""

    def __init__(self, url, sid, name, quota):
        super().__init__(daemon=True)
        self.url, self.sid, self.name, self.quota = url, sid, name, quota
        self.asked, self.completed, self.errors = [], {}, []

    def run(self):
        s = requests.Session()
        base = f"{self.url}/api/v1/studies/{self.sid}/trials"
        try:
            while len(self.completed) < self.quota:
                r = s.post(base + "/ask", json={"worker": self.name}, timeout=30)
                if r.status_code != 200:
                    self.errors.append(r.text)
                    return
                trials = r.json()["trials"]
                if not trials:
                    return
                n = trials[0]["number"]
                self.asked.append(n)
                r = s.post(f"{base}/{n}/complete", json={"value": n / 1000}, timeout=30)
                if r.status_code != 200:
                    self.errors.append(r.text)
                    return
                self.completed[n] = n / 1000
        except requests.ConnectionError:
            return


def run_clients(server, sid, quota_each):
    clients = [Client(server.url, sid, f"w{i}", quota_each) for i in range(N_CLIENTS)]
    for c in clients:
        c.start()
    return clients


def test_eight_clients_never_share_a_trial_and_skip_no_number(server):
    sid = create(server, "busy", N_CYCLES, 30)
    t0 = time.time()
    clients = run_clients(server, sid, N_CYCLES // N_CLIENTS)
    for c in clients:
        c.join(120)
    elapsed = time.time() - t0
    assert all(not c.errors for c in clients), [c.errors[:1] for c in clients if c.errors]
    handed = [n for c in clients for n in c.asked]
    assert len(handed) == N_CYCLES, "each ask got exactly one trial"
    assert sorted(handed) == list(range(N_CYCLES)), "no duplicate, no gap"
    rows = sql(server.dsn, "SELECT count(*), count(DISTINCT number), min(number),"
                           " max(number), count(*) FILTER (WHERE state = 'complete'),"
                           " count(DISTINCT worker) FROM trials WHERE study_id = %s", (sid,))
    assert rows[0] == (N_CYCLES, N_CYCLES, 0, N_CYCLES - 1, N_CYCLES, N_CLIENTS)
    bad = sql(server.dsn, "SELECT count(*) FROM trials WHERE study_id = %s"
                          " AND \"values\"[1] <> number / 1000.0", (sid,))
    assert bad[0][0] == 0, "every trial holds the value its worker sent"
    st = check(server.get(f"/api/v1/studies/{sid}"), "GET", "/api/v1/studies/{id}", 200)
    assert st["counts"]["complete"] == N_CYCLES and st["counts"]["running"] == 0
    assert (st["state"], st["end_reason"]) == ("done", "max_trials")
    assert sql(server.dsn, "SELECT next_number FROM studies WHERE id = %s", (sid,)) == \
        [(N_CYCLES,)]
    print(f"{N_CYCLES} ask+complete cycles by {N_CLIENTS} clients in {elapsed:.1f} s")


LEASE_S = 2


def crash_under_load(make_server):
    """Run the eight clients for a moment, SIGKILL the server, restart it on
    the same database. Returns (new server, study id, clients)."""
    first = make_server()
    sid = create(first, "crash", 100000, LEASE_S)
    clients = run_clients(first, sid, 10 ** 9)
    time.sleep(1.5)
    first.kill()
    for c in clients:
        c.join(30)
    assert all(not c.errors for c in clients), [c.errors[:1] for c in clients if c.errors]
    again = make_server(db=first.db)
    return again, sid, clients


def test_acknowledged_completions_survive_sigkill(make_server):
    server, sid, clients = crash_under_load(make_server)
    done = {n: v for c in clients for n, v in c.completed.items()}
    assert len(done) > 50, "the load ran before the kill"
    rows = dict(((n, s), v) for n, s, v in sql(
        server.dsn, "SELECT number, state, \"values\"[1] FROM trials WHERE study_id = %s",
        (sid,)))
    states = {n: s for n, s in rows}
    for n, v in done.items():
        assert states.get(n) == "complete", (n, states.get(n))
        assert rows[(n, "complete")] == v
    asked = {n for c in clients for n in c.asked}
    assert asked <= set(states), "every acknowledged lease is stored"
    numbers = sorted(states)
    assert numbers == list(range(len(numbers))), "no gap in the numbers"


def test_leases_of_the_killed_run_expire_and_are_reclaimed(make_server):
    server, sid, clients = crash_under_load(make_server)
    running = {n for (n,) in sql(server.dsn, "SELECT number FROM trials WHERE study_id = %s"
                                             " AND state = 'running'", (sid,))}
    assert running, "the kill left some trials running"
    deadline = time.time() + LEASE_S + 8
    while time.time() < deadline:
        left = sql(server.dsn, "SELECT count(*) FROM trials WHERE study_id = %s"
                               " AND state = 'running'", (sid,))[0][0]
        if left == 0:
            break
        time.sleep(0.25)
    rows = sql(server.dsn, "SELECT number, state, attempts FROM trials WHERE study_id = %s"
                           " AND number = ANY(%s)", (sid, sorted(running)))
    assert all(s == "queued" and a == 1 for _, s, a in rows), rows
    r = server.post(ASK.format(id=sid), {"worker": "after", "count": len(running)})
    got = check(r, "POST", ASK, 200)["trials"]
    assert {t["number"] for t in got} == running, "requeued trials come back first"
    assert all(t["attempts"] == 2 for t in got)


def test_two_servers_on_one_database_share_a_study_without_mixing_numbers(make_server):
    """Each server guesses a random study's next trial number to ask in one
    statement; with two servers asking in turn the guesses go stale. A stale
    guess must cost only a retry: numbers stay dense and unique, and trial
    n carries the parameters the searcher gives number n, the same as when
    one client asks alone."""
    first = make_server()
    second = make_server(db=first.db)
    n_total = 400
    sid = create(first, "shared", n_total, 30)
    half = N_CLIENTS // 2
    clients = [Client(srv.url, sid, f"{tag}{i}", n_total // N_CLIENTS)
               for srv, tag in ((first, "a"), (second, "b")) for i in range(half)]
    for c in clients:
        c.start()
    for c in clients:
        c.join(120)
    assert all(not c.errors for c in clients), [c.errors[:1] for c in clients if c.errors]
    handed = sorted(n for c in clients for n in c.asked)
    assert handed == list(range(n_total)), "no duplicate, no gap"
    assert {n for c in clients[:half] for n in c.asked} and \
        {n for c in clients[half:] for n in c.asked}, "both servers handed out trials"

    alone = create(first, "alone", n_total, 30)
    base = f"/api/v1/studies/{alone}/trials"
    for n in range(n_total):
        t = check(first.post(base + "/ask", {"worker": "solo"}), "POST", ASK, 200)["trials"][0]
        assert t["number"] == n
        check(first.post(f"{base}/{n}/complete", {"value": 1.0}), "POST",
              "/api/v1/studies/{id}/trials/{number}/complete", 200)
    query = "SELECT number, params::text FROM trials WHERE study_id = %s ORDER BY number"
    assert sql(first.dsn, query, (sid,)) == sql(first.dsn, query, (alone,))


def test_enqueued_trials_come_first_between_one_statement_asks(server):
    sid = create(server, "mixed", 10, 30)
    base = f"/api/v1/studies/{sid}/trials"
    ask = lambda: check(server.post(base + "/ask", {"worker": "w"}), "POST", ASK, 200)["trials"]
    done = lambda n: check(server.post(f"{base}/{n}/complete", {"value": 1.0}), "POST",
                           "/api/v1/studies/{id}/trials/{number}/complete", 200)
    for n in (0, 1):
        assert [t["number"] for t in ask()] == [n]
        done(n)
    params = {"lr": 0.01, "layers": 2, "opt": "sgd"}
    r = server.post(base, {"params": params})
    queued = check(r, "POST", "/api/v1/studies/{id}/trials", 201)
    got = ask()
    assert [(t["number"], t["source"], t["params"]) for t in got] == \
        [(queued["number"], "enqueued", params)]
    done(queued["number"])
    got = ask()
    assert [(t["number"], t["source"]) for t in got] == [(queued["number"] + 1, "searcher")]


def test_asks_for_several_trials_get_the_same_parameters_as_single_asks(server):
    """count > 1 on the one-statement path: the numbers run on and trial n
    has number n's parameters, as when trials are asked for one by one."""
    many, single = create(server, "many", 20, 30), create(server, "single", 20, 30)
    got = []
    for count in (1, 3, 2, 4):
        r = server.post(ASK.format(id=many), {"worker": "w", "count": count})
        trials = check(r, "POST", ASK, 200)["trials"]
        assert [t["number"] for t in trials] == list(range(len(got), len(got) + count))
        got += trials
        for t in trials:
            check(server.post(f"/api/v1/studies/{many}/trials/{t['number']}/complete",
                              {"value": 1.0}),
                  "POST", "/api/v1/studies/{id}/trials/{number}/complete", 200)
    for n in range(len(got)):
        t = check(server.post(ASK.format(id=single), {"worker": "w"}), "POST", ASK,
                  200)["trials"][0]
        assert (t["number"], t["params"]) == (n, got[n]["params"])
        check(server.post(f"/api/v1/studies/{single}/trials/{n}/complete", {"value": 1.0}),
              "POST", "/api/v1/studies/{id}/trials/{number}/complete", 200)
