-- The month spine: every month from the first month any subscription carries
-- MRR through the month of as_of_date. evaluated_on is the day whose state a
-- month reports: its last day, or as_of_date for the current month.
with subscriptions as (
    select * from {{ ref('stg_subscriptions') }}
),

bounds as (
    select
        {{ dbt.date_trunc('month', 'min(period_start)') }} as first_month,
        {{ dbt.date_trunc('month', as_of_date()) }} as last_month
    from subscriptions
    where
        status in {{ mrr_bearing_statuses() }}
        and period_start < {{ dbt.dateadd('day', 1, as_of_date()) }}
),

spine as (
    {{ month_series('first_month', 'last_month', 'bounds') }}
),

final as (
    select
        month,
        {{ month_end('month') }} as month_end,
        least({{ month_end('month') }}, {{ as_of_date() }}) as evaluated_on,
        -- The state of a day is the state at its very end, i.e. just before
        -- the next midnight (UTC).
        cast({{ dbt.dateadd('day', 1, "least(" ~ month_end('month') ~ ", " ~ as_of_date() ~ ")") }} as timestamp)
            as evaluated_before
    from spine
)

select * from final
