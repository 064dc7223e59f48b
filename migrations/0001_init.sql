-- 0001_init: studies, trials and their learning curves.
-- Trial states: queued (enqueued parameters waiting for a worker), running
-- (leased), complete, pruned, failed. A study is running, stopped or done.
-- Documents are json, not jsonb: jsonb would reorder keys (a space lists
-- parameters in order) and print 1e19 as a 20-digit integer that JSON
-- parsers refuse; json keeps the text hpod wrote.

CREATE TABLE studies (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE
        CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    definition json NOT NULL,
    n_objectives integer NOT NULL CHECK (n_objectives BETWEEN 1 AND 16),
    state text NOT NULL DEFAULT 'running'
        CHECK (state IN ('running', 'stopped', 'done')),
    end_reason text
        CHECK (end_reason IN ('max_trials', 'timeout', 'stopped', 'exhausted')),
    next_number integer NOT NULL DEFAULT 0 CHECK (next_number >= 0),
    is_exhausted boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz NOT NULL DEFAULT now(),
    active_s double precision NOT NULL DEFAULT 0 CHECK (active_s >= 0),
    finished_at timestamptz,
    CHECK ((state = 'done') = (finished_at IS NOT NULL))
);
COMMENT ON TABLE studies IS 'One tuning study: its definition as posted, and its progress.';
COMMENT ON COLUMN studies.definition IS 'The validated study definition (space, objectives, searcher, pruner, budget, trainer).';
COMMENT ON COLUMN studies.next_number IS 'The number the next new trial gets; taken under the row lock.';
COMMENT ON COLUMN studies.is_exhausted IS 'The searcher has no new point (a finished grid); the study ends when its trials do.';
COMMENT ON COLUMN studies.active_s IS 'Seconds the study ran before its last stop.';
COMMENT ON COLUMN studies.started_at IS 'When the study last started or resumed; budget.timeout_s counts from here plus active_s.';

CREATE TABLE trials (
    id bigserial PRIMARY KEY,
    study_id bigint NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    number integer NOT NULL CHECK (number >= 0),
    state text NOT NULL
        CHECK (state IN ('queued', 'running', 'complete', 'pruned', 'failed')),
    source text NOT NULL DEFAULT 'searcher'
        CHECK (source IN ('searcher', 'enqueued', 'warm_start')),
    params json NOT NULL,
    "values" double precision[],
    last_step integer,
    worker text,
    lease_deadline timestamptz,
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    error text,
    stderr_tail text,
    UNIQUE (study_id, number),
    CHECK (state <> 'complete' OR "values" IS NOT NULL),
    CHECK (state <> 'running' OR (worker IS NOT NULL AND lease_deadline IS NOT NULL)),
    CHECK ((state IN ('complete', 'pruned', 'failed')) = (finished_at IS NOT NULL))
);
COMMENT ON TABLE trials IS 'One evaluation of one parameter set within a study.';
COMMENT ON COLUMN trials."values" IS 'Objective values in the order of the study objectives; last reported values for pruned trials.';
COMMENT ON COLUMN trials.last_step IS 'Highest step of the learning curve so far, NULL before the first report; kept here so reading a trial needs no look at its curve.';
COMMENT ON COLUMN trials.worker IS 'Name of the worker holding or last holding the lease.';
COMMENT ON COLUMN trials.attempts IS 'How many times the trial was started; a lost lease requeues it until the study limit.';
COMMENT ON COLUMN trials.stderr_tail IS 'Last 2 KB of the trial process standard error, kept on failure.';

CREATE INDEX trials_study_state ON trials (study_id, state);
CREATE INDEX trials_lease ON trials (lease_deadline) WHERE state = 'running';

CREATE TABLE intermediate_values (
    trial_id bigint NOT NULL REFERENCES trials (id) ON DELETE CASCADE,
    step integer NOT NULL CHECK (step >= 0),
    "values" double precision[] NOT NULL,
    metrics json,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trial_id, step)
);
COMMENT ON TABLE intermediate_values IS 'Learning curves: one row per reported step of a trial.';
COMMENT ON COLUMN intermediate_values.metrics IS 'Every metric of the reported line, for the dashboard.';

-- The JSON shapes the API returns, defined once so every query agrees.
-- Float arrays go through array_to_json, which prints 1e+19 as written;
-- non-finite values are stored as NULL elements and come out as null.
CREATE FUNCTION trial_json(t trials) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'number', t.number,
        'state', t.state,
        'source', t.source,
        'params', t.params,
        'values', array_to_json(t."values"),
        'worker', t.worker,
        'lease_deadline', t.lease_deadline,
        'attempts', t.attempts,
        'created_at', t.created_at,
        'started_at', t.started_at,
        'finished_at', t.finished_at,
        'duration_s', extract(epoch FROM coalesce(t.finished_at, now()) - t.started_at),
        'error', t.error,
        'stderr_tail', t.stderr_tail,
        'last_step', t.last_step)
$$;
COMMENT ON FUNCTION trial_json(trials) IS 'The API representation of a trial, without its curve. It has no subquery, so PostgreSQL inlines it into the calling query.';

CREATE FUNCTION study_sort_sign(definition json) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN definition #>> '{objectives,0,goal}' = 'maximize' THEN -1.0 ELSE 1.0 END
$$;
COMMENT ON FUNCTION study_sort_sign(json) IS 'Multiply the first objective by this to sort best first, ascending.';

CREATE FUNCTION study_json(s studies) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', s.id,
        'name', s.name,
        'state', s.state,
        'end_reason', s.end_reason,
        'created_at', s.created_at,
        'started_at', s.started_at,
        'finished_at', s.finished_at,
        'elapsed_s', s.active_s + CASE WHEN s.state = 'running'
                         THEN extract(epoch FROM now() - s.started_at) ELSE 0 END,
        'definition', s.definition,
        'counts', (SELECT json_build_object(
                       'queued', count(*) FILTER (WHERE state = 'queued'),
                       'running', count(*) FILTER (WHERE state = 'running'),
                       'complete', count(*) FILTER (WHERE state = 'complete'),
                       'pruned', count(*) FILTER (WHERE state = 'pruned'),
                       'failed', count(*) FILTER (WHERE state = 'failed'))
                   FROM trials WHERE study_id = s.id),
        'best', (SELECT trial_json(t) FROM trials t
                 WHERE t.study_id = s.id AND t.state = 'complete'
                 ORDER BY t."values"[1] * study_sort_sign(s.definition), t.number
                 LIMIT 1))
$$;
COMMENT ON FUNCTION study_json(studies) IS 'The API representation of a study with counts per state and its best trial.';
