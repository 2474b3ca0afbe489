-- skillsmith store schema, version 1.  src/store.c embeds this file; a new
-- version appends a migration there, keyed on PRAGMA user_version.

CREATE TABLE runs (
  id            TEXT PRIMARY KEY,         -- e.g. "demo-1"
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  config_path   TEXT,
  config_json   TEXT NOT NULL,            -- snapshot, never holds a key
  strategy      TEXT NOT NULL,            -- skillgen | edit
  seed          INTEGER NOT NULL,
  state         TEXT NOT NULL DEFAULT 'created', -- created|running|waiting|done|failed|stopped
  stage         TEXT,                     -- baseline|induce|generate|verify|refine|select|test|done
  round         INTEGER NOT NULL DEFAULT 0,
  rounds_total  INTEGER NOT NULL DEFAULT 0,
  selected_candidate INTEGER,
  final_status  TEXT,                     -- active | deprecated
  gate_threshold INTEGER,
  pid           INTEGER,                  -- engine process while running
  heartbeat     INTEGER,                  -- wall seconds, engine liveness
  error         TEXT
);

CREATE TABLE instances (
  run_id    TEXT NOT NULL REFERENCES runs(id),
  id        TEXT NOT NULL,
  idx       INTEGER NOT NULL,             -- position in the task file
  split     TEXT NOT NULL,                -- ind | ver | test | import
  type      TEXT,
  input     TEXT NOT NULL,
  expected  TEXT,
  metadata  TEXT,                         -- JSON
  grader    TEXT,                         -- JSON override, or NULL
  PRIMARY KEY (run_id, id)
);

-- One rollout of the agent on one instance, with or without a skill.
-- phase: base (no skill, induction+verification), cand (candidate
-- verification), test_base, test_skill, edit (edit strategy batch), import.
CREATE TABLE rollouts (
  id            INTEGER PRIMARY KEY,
  run_id        TEXT NOT NULL REFERENCES runs(id),
  instance_id   TEXT NOT NULL,
  phase         TEXT NOT NULL,
  candidate_id  INTEGER NOT NULL DEFAULT 0,  -- 0: no skill
  status        TEXT NOT NULL DEFAULT 'pending', -- pending|running|done|error
  outcome       INTEGER,                  -- 0 | 1
  score         REAL,
  output        TEXT,
  trajectory    TEXT,                     -- JSON: messages, tool calls
  grader_note   TEXT,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  latency_ms    INTEGER NOT NULL DEFAULT 0,
  error         TEXT,
  created_at    INTEGER NOT NULL,
  finished_at   INTEGER,
  UNIQUE (run_id, phase, candidate_id, instance_id)
);
CREATE INDEX rollouts_run ON rollouts(run_id, phase, candidate_id);
-- Covers the dashboard's grid (one cell per rollout) without reading trajectories.
CREATE INDEX IF NOT EXISTS rollouts_cells ON rollouts(run_id, instance_id, phase, candidate_id, status, outcome);

-- Every LLM call, cached or not.  Never holds a key.
CREATE TABLE llm_calls (
  id            INTEGER PRIMARY KEY,
  run_id        TEXT,
  stage         TEXT,
  role          TEXT,                     -- agent | optimizer | embed | judge
  provider      TEXT,
  model         TEXT,
  request_hash  TEXT NOT NULL,
  status        TEXT NOT NULL,            -- ok | cached | error
  http_status   INTEGER,
  attempts      INTEGER NOT NULL DEFAULT 1,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  cached_tokens INTEGER NOT NULL DEFAULT 0,
  cost          REAL NOT NULL DEFAULT 0,
  latency_ms    INTEGER NOT NULL DEFAULT 0,
  error         TEXT,
  created_at    INTEGER NOT NULL
);
CREATE INDEX llm_calls_run ON llm_calls(run_id, stage);

-- Each failed attempt of a call (retry history).
CREATE TABLE llm_attempts (
  call_id     INTEGER NOT NULL REFERENCES llm_calls(id),
  attempt     INTEGER NOT NULL,
  http_status INTEGER,
  error       TEXT,
  wait_ms     INTEGER,
  PRIMARY KEY (call_id, attempt)
);

-- Response cache keyed by sha256(base_url, model, body).
CREATE TABLE llm_cache (
  hash        TEXT PRIMARY KEY,
  response    TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL
);

-- Structured summaries: task summary (rollout_id 0), failure / success.
CREATE TABLE summaries (
  run_id      TEXT NOT NULL,
  rollout_id  INTEGER NOT NULL,
  kind        TEXT NOT NULL,              -- task | failure | success
  json        TEXT NOT NULL,
  PRIMARY KEY (run_id, rollout_id, kind)
);

CREATE TABLE embeddings (
  run_id      TEXT NOT NULL,
  rollout_id  INTEGER NOT NULL,
  dim         INTEGER NOT NULL,
  vec         BLOB NOT NULL,              -- float32 little-endian
  PRIMARY KEY (run_id, rollout_id)
);

CREATE TABLE clusters (
  id          INTEGER PRIMARY KEY,
  run_id      TEXT NOT NULL,
  kind        TEXT NOT NULL,              -- failure | success
  idx         INTEGER NOT NULL,
  size        INTEGER NOT NULL,
  label       TEXT,
  summary     TEXT,                       -- JSON (failure_cluster / success_cluster)
  UNIQUE (run_id, kind, idx)
);

CREATE TABLE cluster_members (
  cluster_id  INTEGER NOT NULL REFERENCES clusters(id),
  rollout_id  INTEGER NOT NULL,
  distance    REAL,
  PRIMARY KEY (cluster_id, rollout_id)
);

CREATE TABLE pairs (
  id              INTEGER PRIMARY KEY,
  run_id          TEXT NOT NULL,
  idx             INTEGER NOT NULL,
  failure_rollout INTEGER NOT NULL,
  success_rollout INTEGER NOT NULL,
  distance        REAL NOT NULL,
  same_type       INTEGER NOT NULL,
  contrast        TEXT,                   -- JSON (contrast schema)
  UNIQUE (run_id, idx)
);

-- Candidate skills, one per round (skillgen) or accepted step (edit).
CREATE TABLE candidates (
  id          INTEGER PRIMARY KEY,
  run_id      TEXT NOT NULL,
  round       INTEGER NOT NULL,
  parent_id   INTEGER,
  strategy    TEXT NOT NULL,
  body        TEXT NOT NULL,              -- full SKILL.md
  skill_json  TEXT,                       -- structured skill with provenance
  status      TEXT NOT NULL DEFAULT 'generated', -- generated|pending|approved|rejected|verifying|verified|selected|pruned
  n00 INTEGER, n01 INTEGER, n10 INTEGER, n11 INTEGER,
  m           INTEGER,
  net_gain    INTEGER,
  p_value     REAL,
  ci_low      REAL,
  ci_high     REAL,
  early_stopped INTEGER NOT NULL DEFAULT 0,
  rollouts_saved INTEGER NOT NULL DEFAULT 0,
  commit_oid  TEXT,
  created_at  INTEGER NOT NULL,
  verified_at INTEGER,
  UNIQUE (run_id, round)
);

-- Per-instance verdict of a candidate against the cached baseline.
CREATE TABLE verdicts (
  candidate_id INTEGER NOT NULL REFERENCES candidates(id),
  instance_id  TEXT NOT NULL,
  base_outcome INTEGER NOT NULL,
  skill_outcome INTEGER NOT NULL,
  rollout_id   INTEGER,
  analysis     TEXT,                      -- JSON case_analysis, or NULL
  PRIMARY KEY (candidate_id, instance_id)
);

CREATE TABLE feedback (
  id           INTEGER PRIMARY KEY,
  run_id       TEXT NOT NULL,
  candidate_id INTEGER NOT NULL,
  json         TEXT NOT NULL,             -- {keep, remove, add, emphasize}
  UNIQUE (candidate_id)
);

-- Proposed edits (edit strategy) and their fate.
CREATE TABLE edits (
  id           INTEGER PRIMARY KEY,
  run_id       TEXT NOT NULL,
  step         INTEGER NOT NULL,
  epoch        INTEGER NOT NULL DEFAULT 0,
  op           TEXT NOT NULL,             -- append|insert_after|replace|delete
  target       TEXT,
  content      TEXT,
  evidence     TEXT,                      -- JSON array
  rank         INTEGER,
  status       TEXT NOT NULL DEFAULT 'proposed', -- proposed|pending|applied|rejected|merged
  reason       TEXT,
  candidate_id INTEGER,
  score_before REAL,
  score_after  REAL,
  created_at   INTEGER NOT NULL
);

-- Human decisions on edits or candidates.  A watcher inserts a row; the
-- engine applies it and sets applied_at.
CREATE TABLE decisions (
  id           INTEGER PRIMARY KEY,
  run_id       TEXT NOT NULL,
  subject      TEXT NOT NULL,             -- edit | candidate
  subject_id   INTEGER NOT NULL,
  decision     TEXT NOT NULL,             -- approve | reject
  reason       TEXT,
  who          TEXT NOT NULL,
  at           INTEGER NOT NULL,
  applied_at   INTEGER
);

-- Progress and notable moments, for the dashboard and headless progress.
CREATE TABLE events (
  id       INTEGER PRIMARY KEY,
  run_id   TEXT NOT NULL,
  at       INTEGER NOT NULL,
  kind     TEXT NOT NULL,                 -- stage|progress|info|warn|error|decision
  stage    TEXT,
  message  TEXT NOT NULL,
  data     TEXT
);
CREATE INDEX events_run ON events(run_id, id);

-- Progress per stage: done / total, for progress bars and ETA.
CREATE TABLE stages (
  run_id     TEXT NOT NULL,
  stage      TEXT NOT NULL,
  round      INTEGER NOT NULL DEFAULT 0,
  done       INTEGER NOT NULL DEFAULT 0,
  total      INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER,
  finished_at INTEGER,
  PRIMARY KEY (run_id, stage, round)
);

-- Free-form key/value state of a run (edit strategy buffers, meta-skill...).
CREATE TABLE run_state (
  run_id TEXT NOT NULL,
  key    TEXT NOT NULL,
  value  TEXT,
  PRIMARY KEY (run_id, key)
);
