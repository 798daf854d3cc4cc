-- MRR of each customer at each month's evaluation day (docs/definitions.md): the sum of
-- monthly-normalised amounts of the MRR-bearing periods in effect at the end
-- of that day, converted at that month's fx rate, rounded to cents. Only
-- customer-months with at least one period in effect appear here. list_mrr is
-- the same before discounts (list prices; = mrr without them).
--
-- prior_mrr_at_current_fx keeps exchange-rate effects apart from movements:
-- the subscriptions of the customer's last earlier month with MRR, valued at
-- this month's rates (null when there is no such month). mrr minus it is the
-- movement at constant rates; it minus that month's MRR is the fx impact.
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
        periods.currency,
        periods.monthly_amount,
        {{ to_reporting_currency('periods.monthly_amount', 'fx.rate_to_reporting') }} as mrr,
        {{ to_reporting_currency('periods.monthly_list_amount', 'fx.rate_to_reporting') }} as list_mrr
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

customer_months as (
    select
        customer_id,
        month,
        {{ round_money('sum(mrr)') }} as mrr,
        {{ round_money('sum(list_mrr)') }} as list_mrr,
        max(case when mrr_rank = 1 then plan_id end) as plan_id,
        count(*) as active_subscriptions
    from ranked
    group by customer_id, month
),

paying_months as (
    -- Each month with MRR and the customer's last earlier month with MRR.
    select
        customer_id,
        month,
        lag(month) over (partition by customer_id order by month) as prior_month
    from customer_months
    where mrr > 0
),

prior_at_current_fx as (
    -- The prior month's subscriptions at this month's rates, summed and
    -- rounded exactly as mrr is.
    select
        paying_months.customer_id,
        paying_months.month,
        {%- set restated = to_reporting_currency('prior_month_subscriptions.monthly_amount', 'fx.rate_to_reporting') %}
        {{ round_money('sum(' ~ restated ~ ')') }} as prior_mrr_at_current_fx
    from paying_months
    inner join in_effect as prior_month_subscriptions
        on
            paying_months.customer_id = prior_month_subscriptions.customer_id
            and paying_months.prior_month = prior_month_subscriptions.month
    inner join fx
        on
            prior_month_subscriptions.currency = fx.currency
            and paying_months.month = fx.month
    group by paying_months.customer_id, paying_months.month
),

final as (
    select
        customer_months.*,
        prior_at_current_fx.prior_mrr_at_current_fx
    from customer_months
    left join prior_at_current_fx
        on
            customer_months.customer_id = prior_at_current_fx.customer_id
            and customer_months.month = prior_at_current_fx.month
)

select * from final
