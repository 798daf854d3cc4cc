-- The MRR movement ledger (docs/daily-mrr.md): one row per customer per day
-- on which the customer's MRR changes, from the first day with MRR through
-- as_of_date. A day's MRR is the state at its end, as the monthly marts read
-- a month's evaluation day: the MRR-bearing periods in effect then, at that
-- month's exchange rates, rounded to cents per customer. Joins and leaves
-- inside a month appear here although the month-end snapshots (fct_mrr) do
-- not show them.
--
-- Exchange rates enter as in fct_mrr.fx_impact_mrr: on the first day of a
-- month that the customer starts and ends with MRR, an fx row revalues what
-- the customer held at the previous month's end at the new month's rates.
-- In a month the customer ends without MRR (a churn month), its days keep
-- the previous month's rates, so the churn removes the MRR as the previous
-- month-end showed it. Per customer and month the ledger's changes thus add
-- up to the month-end change, and its fx rows to fx_impact_mrr.
--
-- churn_grace_days: a stop followed by a restart within that many days is
-- not a churn and a reactivation but a contraction and an expansion (days
-- counted between the two ledger days), as the monthly marts bridge it.
{%- set grace_days = var('churn_grace_days') | int %}

with periods as (
    select * from {{ ref('int_subscription_periods_normalised') }}
    where is_mrr_bearing
),

customer_months as (
    select * from {{ ref('int_customer_mrr_monthly') }}
),

months as (
    select * from {{ ref('int_months') }}
),

fx as (
    select * from {{ ref('int_fx_rates_monthly') }}
),

customers as (
    select * from {{ ref('stg_customers') }}
),

covered as (
    -- A period carries MRR at the end of each day from the day it starts up
    -- to the day it ends (period_end is exclusive). Amounts are fixed-point
    -- so that running sums return exactly to zero.
    select
        customer_id,
        subscription_id,
        plan_id,
        currency,
        cast(monthly_amount as decimal(38, 12)) as monthly_amount,
        cast(period_start as date) as first_day,
        cast(period_end as date) as end_day
    from periods
    where
        cast(period_start as date) <= {{ as_of_date() }}
        and (period_end is null or cast(period_end as date) > cast(period_start as date))
),

period_events as (
    select
        customer_id,
        currency,
        first_day as event_day,
        monthly_amount as amount_change,
        subscription_id,
        plan_id,
        1 as is_start
    from covered

    union all

    select
        customer_id,
        currency,
        end_day as event_day,
        -monthly_amount as amount_change,
        subscription_id,
        plan_id,
        0 as is_start
    from covered
    where end_day <= {{ as_of_date() }}
),

month_starts as (
    -- The first day of each month after a month that ended with MRR: the
    -- day the holdings meet the new month's rates.
    select
        customer_months.customer_id,
        months.month as event_day
    from customer_months
    inner join months
        on months.month = {{ month_after('customer_months.month', 1) }}
    where customer_months.mrr > 0
),

customer_days as (
    select
        customer_id,
        event_day
    from period_events

    union

    select
        customer_id,
        event_day
    from month_starts
),

customer_currencies as (
    select distinct
        customer_id,
        currency
    from covered
),

currency_changes as (
    select
        customer_id,
        currency,
        event_day,
        sum(amount_change) as amount_change
    from period_events
    group by customer_id, currency, event_day
),

holdings as (
    -- Monthly amount held per currency at the end of each of the customer's days.
    select
        customer_days.customer_id,
        customer_days.event_day,
        customer_currencies.currency,
        sum(coalesce(currency_changes.amount_change, 0)) over (
            partition by customer_days.customer_id, customer_currencies.currency
            order by customer_days.event_day
            rows between unbounded preceding and current row
        ) as held
    from customer_days
    inner join customer_currencies
        on customer_days.customer_id = customer_currencies.customer_id
    left join currency_changes
        on
            customer_days.customer_id = currency_changes.customer_id
            and customer_currencies.currency = currency_changes.currency
            and customer_days.event_day = currency_changes.event_day
),

with_held_before as (
    select
        *,
        coalesce(
            lag(held) over (partition by customer_id, currency order by event_day),
            0
        ) as held_before,
        cast({{ dbt.date_trunc('month', 'event_day') }} as date) as month  -- noqa: RF04
    from holdings
),

rated as (
    -- The month whose rates value a day: its own, except in a month that
    -- follows a month ending with MRR and itself ends without (a churn month).
    select
        with_held_before.*,
        case
            when coalesce(previous_month.mrr, 0) > 0 and coalesce(this_month.mrr, 0) = 0
                then previous_month.month
            else with_held_before.month
        end as rate_month
    from with_held_before
    left join customer_months as this_month
        on
            with_held_before.customer_id = this_month.customer_id
            and with_held_before.month = this_month.month
    left join customer_months as previous_month
        on
            with_held_before.customer_id = previous_month.customer_id
            and {{ month_after('with_held_before.event_day', -1) }} = previous_month.month
),

valued as (
    -- mrr_after: the day's MRR; opening_mrr: the previous day's holdings at
    -- this day's rates.
    select
        rated.customer_id,
        rated.event_day,
        rated.month,
        {{ round_money('sum(' ~ to_reporting_currency('rated.held', 'fx.rate_to_reporting') ~ ')') }}
            as mrr_after,
        {{ round_money('sum(' ~ to_reporting_currency('rated.held_before', 'fx.rate_to_reporting') ~ ')') }}
            as opening_mrr
    from rated
    inner join fx
        on
            rated.currency = fx.currency
            and rated.rate_month = fx.month
    group by rated.customer_id, rated.event_day, rated.month
),

with_previous as (
    select
        *,
        coalesce(lag(mrr_after) over (partition by customer_id order by event_day), 0) as previous_mrr,
        min(case when mrr_after > 0 then event_day end) over (partition by customer_id) as first_paid_day
    from valued
),

changes as (
    select
        customer_id,
        event_day,
        month,
        'fx' as change_kind,
        previous_mrr as mrr_before,
        opening_mrr as mrr_after,
        first_paid_day
    from with_previous
    where opening_mrr != previous_mrr

    union all

    select
        customer_id,
        event_day,
        month,
        'movement' as change_kind,
        opening_mrr as mrr_before,
        mrr_after,
        first_paid_day
    from with_previous
    where mrr_after != opening_mrr
),

movement_neighbours as (
    -- For a stop, the day of the restart after it (the next movement); for
    -- a restart, the day of the stop before it.
    select
        *,
        lead(event_day) over (partition by customer_id, change_kind order by event_day) as next_day,
        lag(event_day) over (partition by customer_id, change_kind order by event_day) as previous_day
    from changes
),

labelled as (
    select
        *,
        case
            when change_kind = 'fx' then 'fx'
            when mrr_before = 0 and event_day = first_paid_day then 'new'
            {%- if grace_days > 0 %}
            when mrr_before = 0 and {{ dbt.datediff('previous_day', 'event_day', 'day') }} <= {{ grace_days }}
                then 'expansion'
            when mrr_after = 0 and next_day is not null
                and {{ dbt.datediff('event_day', 'next_day', 'day') }} <= {{ grace_days }}
                then 'contraction'
            {%- endif %}
            when mrr_before = 0 then 'reactivation'
            when mrr_after = 0 then 'churn'
            when mrr_after > mrr_before then 'expansion'
            else 'contraction'
        end as movement
    from movement_neighbours
),

drivers as (
    -- The period behind a day's movement: a starting one before an ending
    -- one, the larger amount first.
    select
        customer_id,
        event_day,
        subscription_id,
        plan_id,
        row_number() over (
            partition by customer_id, event_day
            order by is_start desc, abs(amount_change) desc, subscription_id asc
        ) as driver_rank
    from period_events
),

final as (
    select
        labelled.customer_id,
        labelled.event_day as movement_date,
        labelled.month,
        labelled.movement,
        labelled.mrr_before,
        labelled.mrr_after,
        cast(labelled.mrr_after - labelled.mrr_before as decimal(18, 2)) as mrr_change,
        drivers.subscription_id,
        drivers.plan_id,
        customers.segment
    from labelled
    inner join customers
        on labelled.customer_id = customers.customer_id
    left join drivers
        on
            labelled.customer_id = drivers.customer_id
            and labelled.event_day = drivers.event_day
            and drivers.driver_rank = 1
            and labelled.change_kind = 'movement'
)

select * from final
