-- case_state builds are incremental: the state at a window end T is the
-- state of an earlier build at B < T with only the cases that have a
-- version in effect between B and T (or were reported since B) grouped
-- again, each from its row of that build and its newer versions. A row
-- keeps the case key's 64-bit hash (the GROUP BY key of a build) and the
-- version it holds, so that a later build can merge it with the newer
-- versions. Rows of builds made before this migration have 0 in both and
-- are never used as the base of another build (builds are per process).
ALTER TABLE case_state ADD COLUMN key UInt64;

ALTER TABLE case_state ADD COLUMN version UInt32;
