-- The newest span start stored: a batch starting after it cannot hold a stored span.
SELECT max(start_time) FROM {{.UsageLog}}
