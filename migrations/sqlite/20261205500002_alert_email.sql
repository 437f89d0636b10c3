-- Alert notices by email beside the webhook. Keep in step with the other flavour.
-- channel: `webhook` or `email`; each channel's notices of one alert go in order.
ALTER TABLE alert_notices ADD COLUMN channel TEXT NOT NULL DEFAULT 'webhook';
