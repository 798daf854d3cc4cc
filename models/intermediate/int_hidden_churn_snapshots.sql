-- The population hidden churn is scored on: every customer paying (MRR > 0)
-- at a snapshot, i.e. at each month's evaluation day (its last day, or
-- as_of_date for the current month), with what the contract says at the end
-- of that day: licensed seats (subscription quantity), past-due status and
-- the next renewal of an annual contract.
{%- set years_since_anchor = dbt.datediff('annual_anchors.anchor_date', 'paying.snapshot_date', 'year') %}

with customer_months as (
    select * from {{ ref('int_customer_months') }}
    where mrr > 0
),

months as (
    select * from {{ ref('int_months') }}
),

customers as (
    select * from {{ ref('stg_customers') }}
),

periods as (
    select * from {{ ref('int_subscription_periods_normalised') }}
),

paying as (
    select
        customer_months.customer_id,
        months.evaluated_on as snapshot_date,
        months.evaluated_before,
        customer_months.mrr,
        customer_months.plan_id
    from customer_months
    inner join months
        on customer_months.month = months.month
),

history as (
    -- When the customer first had any subscription (a trial included).
    select
        customer_id,
        cast(min(period_start) as date) as first_subscribed_date
    from periods
    group by customer_id
),

annual_anchors as (
    -- An annual contract renews on the anniversaries of its first paid
    -- annual period.
    select
        subscription_id,
        cast(min(period_start) as date) as anchor_date
    from periods
    where is_mrr_bearing and billing_interval = 'year'
    group by subscription_id
),

in_effect as (
    -- The same rule as MRR: in effect at the end of the snapshot day.
    select
        paying.customer_id,
        paying.snapshot_date,
        periods.quantity,
        periods.status,
        case when periods.billing_interval = 'year' then annual_anchors.anchor_date end as anchor_date,
        case
            when periods.billing_interval = 'year' then {{ years_since_anchor }}
        end as anchor_years
    from paying
    inner join periods
        on
            paying.customer_id = periods.customer_id
            and periods.is_mrr_bearing
            and paying.evaluated_before > periods.period_start
            and (periods.period_end is null or paying.evaluated_before <= periods.period_end)
    -- The interval test is in the select, not in this condition: a constant
    -- test in a left join condition made DuckDB loop over all pairs.
    left join annual_anchors
        on periods.subscription_id = annual_anchors.subscription_id
),

renewals as (
    select
        customer_id,
        snapshot_date,
        quantity,
        status,
        anchor_date is not null as is_annual,
        case
            when anchor_date is null then null
            when {{ dbt.dateadd('year', 'anchor_years', 'anchor_date') }} > snapshot_date
                then cast({{ dbt.dateadd('year', 'anchor_years', 'anchor_date') }} as date)
            else cast({{ dbt.dateadd('year', '(anchor_years + 1)', 'anchor_date') }} as date)
        end as renewal_date
    from in_effect
),

contract as (
    select
        customer_id,
        snapshot_date,
        cast(sum(quantity) as {{ dbt.type_bigint() }}) as licensed_seats,
        max(case when status = 'past_due' then 1 else 0 end) = 1 as is_past_due,
        max(case when is_annual then 1 else 0 end) = 1 as has_annual_contract,
        min(renewal_date) as next_renewal_date
    from renewals
    group by customer_id, snapshot_date
),

final as (
    select
        paying.customer_id,
        paying.snapshot_date,
        paying.mrr,
        paying.plan_id,
        customers.segment,
        history.first_subscribed_date,
        coalesce(contract.licensed_seats, 0) as licensed_seats,
        coalesce(contract.is_past_due, false) as is_past_due,
        coalesce(contract.has_annual_contract, false) as has_annual_contract,
        contract.next_renewal_date
    from paying
    inner join customers
        on paying.customer_id = customers.customer_id
    left join history
        on paying.customer_id = history.customer_id
    left join contract
        on
            paying.customer_id = contract.customer_id
            and paying.snapshot_date = contract.snapshot_date
)

select * from final
