-- MRR of each customer at each month's evaluation day (docs/definitions.md): the sum of
-- monthly-normalised amounts of the MRR-bearing periods in effect at the end
-- of that day, converted at that month's fx rate, rounded to cents. Only
-- customer-months with at least one period in effect appear here.
with periods as (
    select * from {{ ref('int_subscription_periods_normalised') }}
    where is_mrr_bearing
),

months as (
    select * from {{ ref('int_months') }}
),

fx as (
    select * from {{ ref('int_fx_rates_monthly') }}
),

in_effect as (
    -- period_end is exclusive: a period ending exactly at the next midnight
    -- still covers the whole evaluation day.
    select
        periods.customer_id,
        months.month,
        periods.subscription_id,
        periods.plan_id,
        {{ to_reporting_currency('periods.monthly_amount', 'fx.rate_to_reporting') }} as mrr
    from periods
    inner join months
        on
            periods.period_start < months.evaluated_before
            and (periods.period_end is null or periods.period_end >= months.evaluated_before)
    inner join fx
        on
            periods.currency = fx.currency
            and months.month = fx.month
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id, month
            order by mrr desc, subscription_id asc
        ) as mrr_rank
    from in_effect
),

final as (
    select
        customer_id,
        month,
        {{ round_money('sum(mrr)') }} as mrr,
        max(case when mrr_rank = 1 then plan_id end) as plan_id,
        count(*) as active_subscriptions
    from ranked
    group by customer_id, month
)

select * from final
