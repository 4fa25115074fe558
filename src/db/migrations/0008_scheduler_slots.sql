-- One tick per interval slot across scheduler replicas, decided by the database (pg-boss's
-- conditional update): the replica whose update moves slot_start forward runs the slot. The Redis
-- lock only keeps ticks from overlapping; this holds even when Redis has lost its keys.
ALTER TABLE scheduler_ticks ADD COLUMN slot_start timestamptz NOT NULL DEFAULT '-infinity';
