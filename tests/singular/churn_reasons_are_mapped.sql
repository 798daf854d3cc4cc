-- Cancel reasons of churns that the seed churn_reason_mapping does not list
-- (a warning, not an error): their churn type falls back to the invoice rule
-- and their controllability is unknown. Add them to
-- seeds/churn_reason_mapping.csv. 'unknown' (no reason given) and 'paused'
-- are not reasons and are left out.
{{ config(severity='warn') }}

select
    churn_reason,
    count(*) as churns
from {{ ref('int_churn_events') }}
where
    not is_reason_mapped
    and churn_reason not in ('unknown', 'paused')
group by churn_reason
