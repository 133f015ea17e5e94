-- mxscan schema, version 2: the list maintainers' jobs (validate, triage, challenge).
-- Documented in docs/schema.md.

-- The list entry each domain of a validate or triage run was judged against (for triage: the
-- submitted patterns, or the suggested ones when none were given).
CREATE TABLE run_policies (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  domain TEXT NOT NULL,
  mode   TEXT NOT NULL CHECK (mode = 'testing' OR mode = 'enforce'),
  mxs    TEXT NOT NULL,                      -- JSON array of patterns
  alias  TEXT,                               -- the list's policy-alias, when the entry is one
  PRIMARY KEY (run_id, domain)
) STRICT;

-- A validation's verdict per list entry against the previous validation of a list of the same
-- author (CONTRACT.md "Nightly validation and triage"), written when the run completes.
CREATE TABLE validation_results (
  run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  domain         TEXT NOT NULL,
  category       TEXT NOT NULL CHECK (category = 'newly-failing' OR category = 'still-failing'
                                      OR category = 'recovered' OR category = 'undetermined'
                                      OR category = 'passing'),
  urgent         INTEGER NOT NULL,           -- 1: a failing enforce entry
  failing_streak INTEGER NOT NULL,           -- consecutive failing validations, this one included
  failing_since  TEXT,                       -- started_at of the first validation of the streak
  previous_run   INTEGER,                    -- the validation compared with, NULL for the first
  PRIMARY KEY (run_id, domain)
) STRICT;

-- One row per line of a triage queue, in queue order, with its decision.
CREATE TABLE submissions (
  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  line          INTEGER NOT NULL,            -- 1-based line of the queue file
  domain        TEXT NOT NULL,               -- canonical when valid, else as submitted
  contact       TEXT NOT NULL,
  mxs           TEXT NOT NULL,               -- JSON array of the submitted patterns
  mode          TEXT,                        -- requested mode, NULL when invalid
  submitted_at  TEXT NOT NULL,
  decision      TEXT NOT NULL CHECK (decision = 'accept' OR decision = 'reject'
                                     OR decision = 'retry' OR decision = 'listed'
                                     OR decision = 'invalid'),
  reasons       TEXT NOT NULL,               -- JSON array of "check:code"
  suggested_mxs TEXT NOT NULL,               -- JSON array
  mta_sts       TEXT NOT NULL,               -- agreement with the domain's MTA-STS policy
  PRIMARY KEY (run_id, line)
) STRICT;

-- The contact of each domain admitted to the list (the newest admission wins): where
-- `validate --notify-dir` writes when the domain starts failing.
CREATE TABLE contacts (
  domain      TEXT PRIMARY KEY,
  contact     TEXT NOT NULL,
  admitted_at TEXT NOT NULL,
  run_id      INTEGER                       -- the triage run that admitted it
) STRICT;

-- Emergency change requests, authenticated by a TXT record at _starttls-policy.<domain>. Rows
-- are never deleted: they are the audit trail.
CREATE TABLE challenges (
  id          INTEGER PRIMARY KEY,
  domain      TEXT NOT NULL,
  action      TEXT NOT NULL CHECK (action = 'remove' OR action = 'update'),
  mxs         TEXT NOT NULL,                 -- JSON array: the new patterns of an update
  token       TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  verified_at TEXT,
  applied_at  TEXT,
  applied_run INTEGER,                       -- the triage run whose --out applied it
  outcome     TEXT NOT NULL DEFAULT 'pending' -- pending, verified, applied, expired, superseded
) STRICT;

CREATE INDEX runs_by_list ON runs (kind, list_author, state);
CREATE INDEX challenges_by_domain ON challenges (domain, created_at);
