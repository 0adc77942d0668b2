-- The newest metric point time stored: a batch after it cannot hold a stored point.
SELECT max(t) FROM (
    SELECT max(time) AS t FROM {{.MetricGauge}}
    UNION ALL SELECT max(time) FROM {{.MetricSum}}
    UNION ALL SELECT max(time) FROM {{.MetricHistogram}}
    UNION ALL SELECT max(time) FROM {{.MetricExponentialHistogram}}
    UNION ALL SELECT max(time) FROM {{.MetricSummary}}
)
