-- 0005: the health screen's answers are dated (each is a JSON object {"code", "since"} in
-- profile.screen; older rows hold bare codes and read as answers of unknown date), the screen
-- records when it was last answered (due again after 6 months), and the person can set a
-- crisis line shown first in crisis guidance.
ALTER TABLE profile ADD COLUMN screened_at INTEGER;
ALTER TABLE profile ADD COLUMN crisis_line TEXT;
