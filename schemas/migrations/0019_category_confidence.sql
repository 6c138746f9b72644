-- category_confidence: the learned classifier's probability of the
-- category when category_rule is 'model:<version>', 0 otherwise (given,
-- keyword, default, and every row stored before this migration). The
-- console lists the model's low-confidence cases for review.
ALTER TABLE cases ADD COLUMN category_confidence Float32 DEFAULT 0;
