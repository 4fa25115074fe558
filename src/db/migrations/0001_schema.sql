-- The tables of DESIGN.md. Every column DESIGN does not name has a default, so a row can be
-- inserted with just the named ones. All timestamps are timestamptz defaulting to now().

CREATE TABLE users (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email       text UNIQUE,
  name        text NOT NULL DEFAULT '',
  -- IANA name; NULL means the DEFAULT_TIMEZONE setting, so changing that setting moves every
  -- user who never chose one.
  timezone    text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE diaries (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  date          date NOT NULL,
  content       text NOT NULL DEFAULT '',
  -- Characters (code points), compared with SUMMARY_MIN_CHARS by the target query's index.
  content_chars integer GENERATED ALWAYS AS (char_length(content)) STORED,
  -- Bumped by trigger whenever content changes: a summary records the version it was built from,
  -- which catches an edit that commits while its old text is being summarized.
  version       integer NOT NULL DEFAULT 1,
  -- Maintained by triggers (0002): true while this day has no current daily summary. The daily
  -- target query reads only rows where it is true, through a partial index.
  needs_daily_summary boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, date)
);

CREATE TABLE user_llms (
  user_id               uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  auto_summary_daily    boolean NOT NULL DEFAULT true,
  auto_summary_monthly  boolean NOT NULL DEFAULT true,
  -- NULL provider/model/key: the system default (LLM_PROVIDER, LLM_MODEL, LLM_API_KEY).
  provider              text CHECK (provider IN ('extractive', 'openai')),
  model                 text,
  base_url              text,
  -- AES-256-GCM ciphertext under SECRET_KEY, never the key itself.
  api_key_encrypted     text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

-- status: queued (published, not started), processing (a subscriber holds it), done,
-- failed (permanent: not retried until the input or the user's settings change),
-- retrying (transient failure: the next scheduler tick publishes it again).
CREATE TABLE diary_summary_days (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  date           date NOT NULL,
  summary        text NOT NULL DEFAULT '',
  model          text NOT NULL DEFAULT '',
  status         text NOT NULL DEFAULT 'done'
                 CHECK (status IN ('queued', 'processing', 'done', 'failed', 'retrying')),
  error          text,
  attempts       integer NOT NULL DEFAULT 0,
  input_tokens   integer,
  output_tokens  integer,
  -- diaries.version this summary was built from; NULL for rows written by other tools, which are
  -- then judged by updated_at alone.
  source_version integer,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, date)
);

CREATE TABLE diary_summary_months (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  year           integer NOT NULL,
  month          integer NOT NULL CHECK (month BETWEEN 1 AND 12),
  summary        text NOT NULL DEFAULT '',
  model          text NOT NULL DEFAULT '',
  status         text NOT NULL DEFAULT 'done'
                 CHECK (status IN ('queued', 'processing', 'done', 'failed', 'retrying')),
  error          text,
  attempts       integer NOT NULL DEFAULT 0,
  input_tokens   integer,
  output_tokens  integer,
  -- diary_months.inputs_version this summary was built from (NULL: judged by updated_at alone).
  source_version bigint,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, year, month)
);

-- One row per (user, month) that ever had a diary, kept by triggers (0002): when its inputs
-- (diaries, daily summaries) last changed and whether the monthly summary is current.
CREATE TABLE diary_months (
  user_id               uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  year                  integer NOT NULL,
  month                 integer NOT NULL,
  inputs_updated_at     timestamptz NOT NULL DEFAULT '-infinity',
  inputs_version        bigint NOT NULL DEFAULT 0,
  needs_monthly_summary boolean NOT NULL DEFAULT true,
  PRIMARY KEY (user_id, year, month)
);

-- The scheduler's last tick per job, for `diary-events status` and the dashboard.
CREATE TABLE scheduler_ticks (
  job          text PRIMARY KEY,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  found        integer NOT NULL DEFAULT 0,
  published    integer NOT NULL DEFAULT 0,
  failed       integer NOT NULL DEFAULT 0
);
