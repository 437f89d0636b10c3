-- Paused flows: a paused flow's delivery loop claims nothing, so its queue holds (and keeps
-- growing) until an operator resumes it. Every node reads this table before each pass.
CREATE TABLE flow_pauses (
    flow      TEXT PRIMARY KEY,
    paused_by TEXT NOT NULL,
    paused_at TEXT NOT NULL
);
