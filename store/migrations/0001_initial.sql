-- mxscan schema, version 1. Documented in docs/schema.md.
--
-- Enumerations are checked with OR chains, not IN lists: SQLite builds an ephemeral index for an
-- IN list each time a row is inserted (EXPLAIN: OpenEphemeral), and a scan inserts millions.

CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind = 'scan' OR kind = 'validate' OR kind = 'triage'
                                      OR kind = 'check'),
  options        TEXT NOT NULL,              -- JSON: the options that shape results
  input_digest   TEXT NOT NULL,              -- SHA-256 of the normalised input, hex
  shard          TEXT,                       -- 'K/N' when sharded
  list_author    TEXT,                       -- validate/triage: the policy list's author
  list_version   TEXT,                       -- validate/triage: the list's timestamp
  started_at     TEXT NOT NULL,              -- RFC 3339 UTC
  finished_at    TEXT,
  state          TEXT NOT NULL CHECK (state = 'running' OR state = 'interrupted' OR state = 'complete'),
  domains_total  INTEGER NOT NULL DEFAULT 0,
  mxscan_version TEXT NOT NULL
) STRICT;

-- The input of a run, in input order: what a resumed run still has to do.
CREATE TABLE run_inputs (
  run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  domain   TEXT NOT NULL,
  PRIMARY KEY (run_id, domain)
) STRICT;

-- One row per judged domain per run; written in one transaction with its hosts, addresses and
-- checks, so a domain is either wholly stored or not at all.
CREATE TABLE domains (
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  domain     TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status = 'pass' OR status = 'warn' OR status = 'fail'
                                   OR status = 'error'),
  scanned_at TEXT NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 1,   -- 2 when an error was retried
  result     TEXT NOT NULL,                -- the CONTRACT.md domain object, JSON
  PRIMARY KEY (run_id, domain)
) STRICT;

CREATE TABLE mx_hosts (
  run_id     INTEGER NOT NULL,
  domain     TEXT NOT NULL,
  host       TEXT NOT NULL,
  preference INTEGER NOT NULL,
  status     TEXT NOT NULL,
  PRIMARY KEY (run_id, domain, host),
  FOREIGN KEY (run_id, domain) REFERENCES domains(run_id, domain) ON DELETE CASCADE
) STRICT;

-- Certificates across all runs, by the SHA-256 of their DER.
CREATE TABLE certificates (
  sha256              TEXT PRIMARY KEY,
  der                 BLOB NOT NULL,
  subject             TEXT NOT NULL,
  issuer              TEXT NOT NULL,
  san                 TEXT NOT NULL,         -- JSON array of DNS names
  not_before          TEXT NOT NULL,
  not_after           TEXT NOT NULL,
  key_type            TEXT NOT NULL,
  key_bits            INTEGER NOT NULL,
  signature_algorithm TEXT NOT NULL
) STRICT;

-- One SMTP probe per (address, port, SNI name) per run, shared by every domain using it.
CREATE TABLE endpoints (
  run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  ip           TEXT NOT NULL,
  port         INTEGER NOT NULL,
  host         TEXT NOT NULL,                -- SNI name: the MX host
  stage        TEXT NOT NULL,                -- last step entered
  ending       TEXT NOT NULL,                -- how the probe ended there
  detail       TEXT NOT NULL,
  banner       TEXT,                         -- first line of the greeting
  starttls     INTEGER NOT NULL,             -- 1 when EHLO offered STARTTLS
  tls_version  TEXT,
  tls_cipher   TEXT,
  tls_group    TEXT,
  cert_sha256  TEXT REFERENCES certificates(sha256),
  elapsed_ms   INTEGER NOT NULL,
  PRIMARY KEY (run_id, ip, port, host)
) STRICT;

-- Which endpoints each domain's MX hosts resolved to.
CREATE TABLE mx_addresses (
  run_id INTEGER NOT NULL,
  domain TEXT NOT NULL,
  host   TEXT NOT NULL,
  ip     TEXT NOT NULL,
  status TEXT NOT NULL,
  PRIMARY KEY (run_id, domain, host, ip),
  FOREIGN KEY (run_id, domain, host) REFERENCES mx_hosts(run_id, domain, host) ON DELETE CASCADE
) STRICT;

-- One row per check per subject: subject 'domain' (host = '', ip = ''), 'host' (ip = '') or
-- 'address'.
CREATE TABLE checks (
  run_id  INTEGER NOT NULL,
  domain  TEXT NOT NULL,
  subject TEXT NOT NULL CHECK (subject = 'domain' OR subject = 'host' OR subject = 'address'),
  host    TEXT NOT NULL,
  ip      TEXT NOT NULL,
  name    TEXT NOT NULL,
  status  TEXT NOT NULL CHECK (status = 'pass' OR status = 'warn' OR status = 'fail'
                                OR status = 'error' OR status = 'skipped'),
  code    TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (run_id, domain, subject, host, ip, name),
  FOREIGN KEY (run_id, domain) REFERENCES domains(run_id, domain) ON DELETE CASCADE
) STRICT;

-- A domain's MTA-STS policy as fetched in a run (RFC 8461): what the policy file said, and the
-- TXT record's id it was fetched under. One row per domain with a valid record; mode, max_age and
-- mx are NULL when no policy parsed, body when none was read whole.
CREATE TABLE mta_sts_policies (
  run_id     INTEGER NOT NULL,
  domain     TEXT NOT NULL,
  record_id  TEXT NOT NULL,                -- the id= of the _mta-sts TXT record
  mode       TEXT CHECK (mode = 'enforce' OR mode = 'testing' OR mode = 'none'),
  max_age    INTEGER,
  mx         TEXT,                         -- JSON array of the policy's mx patterns
  body       TEXT,                         -- the policy file as served (at most 64 KiB)
  PRIMARY KEY (run_id, domain),
  FOREIGN KEY (run_id, domain) REFERENCES domains(run_id, domain) ON DELETE CASCADE
) STRICT;

CREATE INDEX checks_by_code ON checks (run_id, name, status, code);
CREATE INDEX endpoints_by_cert ON endpoints (cert_sha256);

-- The questions reports ask.
CREATE VIEW latest_run AS
  SELECT * FROM runs WHERE state = 'complete' ORDER BY id DESC LIMIT 1;

CREATE VIEW status_counts AS
  SELECT run_id, status, count(*) AS domains FROM domains GROUP BY run_id, status;

CREATE VIEW failing_checks AS
  SELECT run_id, domain, subject, host, ip, name, status, code, message
  FROM checks WHERE status IN ('fail', 'error');

CREATE VIEW code_counts AS
  SELECT run_id, name, status, code, count(DISTINCT domain) AS domains
  FROM checks WHERE subject != 'address' GROUP BY run_id, name, status, code;

CREATE VIEW tls_versions AS
  SELECT run_id, coalesce(tls_version, 'none') AS tls_version, count(*) AS endpoints
  FROM endpoints GROUP BY run_id, tls_version;

CREATE VIEW issuers AS
  SELECT e.run_id, c.issuer, count(DISTINCT e.cert_sha256) AS certificates, count(*) AS endpoints
  FROM endpoints e JOIN certificates c ON c.sha256 = e.cert_sha256 GROUP BY e.run_id, c.issuer;

CREATE VIEW mx_providers AS
  SELECT run_id, host, count(DISTINCT domain) AS domains FROM mx_hosts GROUP BY run_id, host;
