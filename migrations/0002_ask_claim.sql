-- 0002_ask_claim: an ask in one statement. ask_claim locks the study row,
-- hands back the worker's own live leases, then enqueued trials, and says
-- how many new trials the searcher may add, numbered from next_number.
--
-- A searcher that does not read the history (random) can propose before
-- the lock is taken if the caller guesses next_number: proposals for a few
-- numbers from the guess on travel with the call, and when they cover the
-- numbers the ask gets, ask_claim inserts them itself, so the whole ask is
-- one statement and one commit.
-- Otherwise (a wrong guess, or a searcher that reads the history) the
-- caller runs ask_claim inside its own transaction, proposes, inserts and
-- commits; the row lock holds until then. Either way no trial or number is
-- handed out twice.

CREATE FUNCTION ask_claim(p_study bigint, p_worker text, p_lease_s float8, p_count int,
                          p_parallel int, p_max_trials int, p_guess int, p_params json,
                          OUT state text, OUT next_number int, OUT n_new int,
                          OUT mine json, OUT queued json, OUT fresh json)
LANGUAGE plpgsql AS $$
DECLARE
    is_exhausted boolean;
    n_mine int;
    n_running int;
    n_queued int;
    take int;
    lease interval := p_lease_s * interval '1 second';
    commit_mode text;
BEGIN
    SELECT s.state, s.next_number, s.is_exhausted INTO state, next_number, is_exhausted
        FROM studies s WHERE s.id = p_study FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;  -- a row of NULLs: no such study
    END IF;
    n_new := 0;
    queued := '[]';
    fresh := '[]';

    -- Every statement below takes a new snapshot, so it sees the trials
    -- as they are now that the lock is held. One pass over the study's
    -- open trials counts them; the statements that renew or lease, whose
    -- trial_json costs even when no row matches, run only when needed.
    SELECT count(*) FILTER (WHERE t.state = 'running' AND t.lease_deadline > now()),
           count(*) FILTER (WHERE t.state = 'running' AND t.lease_deadline > now()
                            AND t.worker = p_worker),
           count(*) FILTER (WHERE t.state = 'queued')
        INTO n_running, n_mine, n_queued
        FROM trials t WHERE t.study_id = p_study AND t.state IN ('queued', 'running');
    mine := '[]';
    IF n_mine > 0 THEN
        WITH renewed AS (
            UPDATE trials t SET lease_deadline = now() + lease
            WHERE t.id IN (SELECT m.id FROM trials m WHERE m.study_id = p_study
                           AND m.state = 'running' AND m.worker = p_worker
                           AND m.lease_deadline > now() ORDER BY m.number LIMIT p_count)
            RETURNING t.number, trial_json(t) AS j)
        SELECT count(*), coalesce(json_agg(j ORDER BY number), '[]'::json)
            INTO n_mine, mine FROM renewed;
    END IF;
    IF state <> 'running' THEN
        RETURN;
    END IF;

    take := least(p_count - n_mine, p_parallel - n_running);
    IF take <= 0 THEN
        RETURN;
    END IF;

    -- Enqueued parameters run before the searcher's proposals.
    IF n_queued > 0 THEN
        WITH leased AS (
            UPDATE trials t SET state = 'running', worker = p_worker, started_at = now(),
                lease_deadline = now() + lease, attempts = t.attempts + 1
            WHERE t.id IN (SELECT q.id FROM trials q WHERE q.study_id = p_study
                           AND q.state = 'queued' ORDER BY q.number LIMIT take
                           FOR UPDATE SKIP LOCKED)
            RETURNING t.number, trial_json(t) AS j)
        SELECT count(*), coalesce(json_agg(j ORDER BY number), '[]'::json)
            INTO n_queued, queued FROM leased;
    END IF;
    n_new := CASE WHEN is_exhausted THEN 0
                  ELSE greatest(0, least(take - n_queued, p_max_trials - next_number)) END;
    -- p_params holds proposals for numbers p_guess, p_guess + 1, ...
    IF n_new = 0 OR next_number < p_guess
       OR next_number + n_new > p_guess + coalesce(json_array_length(p_params), 0) THEN
        RETURN;
    END IF;

    -- Only the one-statement ask gets here (the caller's transaction passes
    -- no proposals). Its commit need not wait for the WAL flush while the
    -- study row is locked: the caller runs a synchronous commit right after
    -- on the same connection, and since WAL is flushed in order, that one
    -- returns only once this commit is on disk too. The reply goes out
    -- after both, so an acknowledged ask is still durable, and the next ask
    -- on the study does not wait out this one's fsync. One statement
    -- inserts the trials, moves next_number on and sets that commit mode,
    -- since each statement in a function costs an executor start.
    WITH inserted AS (
        INSERT INTO trials (study_id, number, state, params, worker, lease_deadline,
                            started_at, attempts)
        SELECT p_study, p_guess + u.i::int - 1, 'running', u.p, p_worker,
               now() + lease, now(), 1
        FROM json_array_elements(p_params) WITH ORDINALITY AS u(p, i)
        WHERE p_guess + u.i - 1 >= next_number AND p_guess + u.i - 1 < next_number + n_new
        RETURNING trials.number, trial_json(trials) AS j),
    moved AS (
        UPDATE studies s SET next_number = ask_claim.next_number + ask_claim.n_new
        WHERE s.id = p_study)
    SELECT coalesce(json_agg(j ORDER BY number), '[]'::json),
           set_config('synchronous_commit', 'off', true)
        INTO fresh, commit_mode FROM inserted;
    next_number := next_number + n_new;
    n_new := 0;
END
$$;
COMMENT ON FUNCTION ask_claim(bigint, text, float8, int, int, int, int, json) IS
    'Lock a study for an ask: renew and return the worker''s own live leases (mine), lease enqueued trials within the parallel limit (queued), and insert the proposals in p_params (for numbers p_guess, p_guess + 1, ...) when they cover the new numbers (fresh); n_new is how many new trials the caller must still propose, numbered from next_number. A row of NULLs means no such study.';

-- The open trials of a study (queued or running), in number order: what
-- every ask scans. Without it the planner walked the (study_id, number)
-- index over every trial of the study, so an ask slowed down as the study
-- grew. It replaces trials_lease, whose column changes on every report and
-- heartbeat; with no index on lease_deadline or last_step those updates can
-- stay on their page (HOT) and touch no index. Lease expiry scans this
-- index, which holds only open trials.
CREATE INDEX trials_open ON trials (study_id, state, number)
    WHERE state IN ('queued', 'running');
DROP INDEX trials_lease;

-- Every trial changes state at least twice (running, then finished), and
-- each change wrote an entry into this index. The queries that filter by
-- state go through trials_open (open trials) or walk a study's trials by
-- number anyway (counts per state, listings), so it paid for nothing.
DROP INDEX trials_study_state;
